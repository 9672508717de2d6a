package dev.nncompress.train;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class CheckpointConfigTest {
    @Test
    void canonicalFormIgnoresInsertionOrderAndHashesItsJson() {
        Map<String, String> a = new LinkedHashMap<>();
        a.put("--seed", "42");
        a.put("--lr", "0.01");
        Map<String, String> b = new LinkedHashMap<>();
        b.put("--lr", "0.01");
        b.put("--seed", "42");
        CheckpointConfig ca = CheckpointConfig.of(a);
        assertEquals("{\"--lr\":\"0.01\",\"--seed\":\"42\"}", ca.json());
        assertEquals(ca.sha256(), CheckpointConfig.of(b).sha256());
        assertEquals(CheckpointConfig.sha256(ca.json()), ca.sha256());
        assertEquals(64, ca.sha256().length());
        assertNotEquals(ca.sha256(), CheckpointConfig.of(Map.of("--lr", "0.01", "--seed", "43")).sha256());
    }

    @Test
    void differencesNameTheKeysEscapedTruncatedAndCapped() {
        CheckpointConfig was = CheckpointConfig.of(Map.of("--lr", "0.01", "evil\u001b[31m", "x", "--data", "a".repeat(100)));
        CheckpointConfig now = CheckpointConfig.of(Map.of("--lr", "0.02", "--data", "b"));
        assertEquals(List.of("--data: " + "a".repeat(57) + "... -> b", "--lr: 0.01 -> 0.02", "evil\\u001b[31m: x -> (absent)"), was.differences(now));

        Map<String, String> many = new TreeMap<>();
        for (int i = 0; i < 25; i++) many.put("k" + (char) ('a' + i), "1");
        List<String> d = CheckpointConfig.of(many).differences(CheckpointConfig.of(Map.of()));
        assertEquals(11, d.size());
        assertEquals("ka: 1 -> (absent)", d.get(0));
        assertEquals("and 15 more keys", d.get(10));
    }
}
