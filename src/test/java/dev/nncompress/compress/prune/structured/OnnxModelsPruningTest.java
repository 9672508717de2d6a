package dev.nncompress.compress.prune.structured;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.io.onnx.OnnxFixtures;
import dev.nncompress.io.onnx.OnnxImporter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Structured pruning of the imported issue-17 models (depthwise convs with residual sums, fire modules' concats,
 * squeeze-excitation gates): half of every prunable group's channels removed, and the smaller graph computes exactly
 * what the original computes with those channels made zero everywhere ({@link MaskedReference}). This is what
 * proves the channel coupling right: a wrong concat offset, depthwise tie or gate tie cuts a live channel.
 */
class OnnxModelsPruningTest {
    private final Backend be = new ReferenceBackend();

    @ParameterizedTest(name = "{0} with {1}")
    @CsvSource({"mobilenetv2, l1, 12, 13", "squeezenet, apoz, 16, 17", "se_resnet, l2, 9, 10"})
    void halfOfEveryPrunableGroupRemovedEqualsTheMaskedOriginal(String model, String criterion, int prunable, int groupCount) {
        Graph g = OnnxImporter.importFile(OnnxFixtures.file(model), be).graph();
        ChannelGroups groups = ChannelDependencies.analyze(g);
        assertEquals(groupCount, groups.groups().size(), String.join("\n", groups.lines()));
        assertEquals(prunable, groups.prunable().size(), String.join("\n", groups.lines()));
        switch (model) { // the couplings that used to fix these groups
            case "mobilenetv2" -> assertEquals(java.util.List.of("features_4_conv_0", "features_4_conv_3"), groups.producedBy("features_4_conv_3").producers());
            case "squeezenet" -> assertArrayEquals(new int[] {24 + 5}, groups.producedBy("features_3_expand3x3_0").channelsOf("features_features_3_Concat", 5));
            default -> { // the last stage's gate is made of linears: fc2's neurons become the trunk's channels
                ChannelGroup trunk = groups.producedBy("layer3_se_fc2");
                assertEquals(java.util.List.of("layer3_conv2", "layer3_se_fc2", "layer3_shortcut_0"), trunk.producers());
                assertTrue(trunk.prunable() && !trunk.neurons(), trunk.describe());
            }
        }
        float[] images = PruneFixtures.randomImages(g, 4, 17);
        FilterCriterion c = switch (criterion) {
            case "l1" -> FilterCriterion.l1();
            case "l2" -> FilterCriterion.l2();
            default -> FilterCriterion.apoz(be, images, 2);
        };
        StructuredPruneResult r = StructuredPruner.prune(g, 0.5, c);
        Map<Integer, int[]> keep = new HashMap<>();
        for (StructuredPruneReport.GroupOutcome o : r.report().groups()) {
            if (o.note() == null) {
                keep.put(o.group().id(), o.kept());
                assertEquals(o.before() - o.before() / 2, o.after(), o.group().describe());
            }
        }
        assertEquals(prunable, keep.size());
        assertTrue(r.report().paramsAfter() < 0.6 * r.report().paramsBefore(), r.report().lines().toString());
        MaskedReference.assertPrunedEqualsMasked(g, r.pruned(), be, groups, keep, images, 1e-5, model);
        try (GraphPredictor p = new GraphPredictor(r.pruned(), be)) {
            assertEquals(4 * 10, p.logits(images, 4).length, "the classifier keeps its 10 outputs");
        }
    }
}
