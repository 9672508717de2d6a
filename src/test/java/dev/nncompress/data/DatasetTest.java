package dev.nncompress.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ReadOnlyBufferException;
import org.junit.jupiter.api.Test;

class DatasetTest {

    private static Dataset fourExamples() {
        float[] px = new float[4 * 2 * 2];
        for (int i = 0; i < px.length; i++) {
            px[i] = i;
        }
        return new Dataset(px, new int[] {0, 1, 2, 1}, 1, 2, 2, 3);
    }

    @Test
    void sliceCopiesTheRange() {
        Dataset d = fourExamples();
        Dataset s = d.slice(1, 3);
        assertEquals(2, s.count());
        assertArrayEquals(new int[] {1, 2}, s.labels());
        assertArrayEquals(new float[] {4, 5, 6, 7, 8, 9, 10, 11}, s.images());
        assertEquals(3, s.numClasses());
        assertEquals(0, d.slice(2, 2).count());
        assertThrows(IndexOutOfBoundsException.class, () -> d.slice(3, 5));
        assertThrows(IndexOutOfBoundsException.class, () -> d.slice(2, 1));
    }

    @Test
    void cannotBeChangedFromOutside() {
        float[] px = new float[4];
        int[] labels = {1};
        Dataset d = new Dataset(px, labels, 1, 2, 2, 2);
        px[0] = 42;
        labels[0] = 0;
        d.images()[1] = 42;
        d.labels()[0] = 0;
        assertEquals(0f, d.imagesView().get(0));
        assertEquals(0f, d.imagesView().get(1));
        assertEquals(1, d.label(0));
        assertThrows(ReadOnlyBufferException.class, () -> d.imagesView().put(0, 1f));
        assertThrows(ReadOnlyBufferException.class, () -> d.labelsView().put(0, 1));
    }

    @Test
    void copyImageCopiesOneExample() {
        float[] dst = new float[6];
        fourExamples().copyImage(2, dst, 1);
        assertArrayEquals(new float[] {0, 8, 9, 10, 11, 0}, dst);
    }

    @Test
    void rejectsInconsistentInput() {
        assertThrows(IllegalArgumentException.class,
                () -> new Dataset(new float[3], new int[] {0}, 1, 2, 2, 2));
        assertThrows(IllegalArgumentException.class,
                () -> new Dataset(new float[4], new int[] {2}, 1, 2, 2, 2));
        assertThrows(IllegalArgumentException.class,
                () -> new Dataset(new float[0], new int[0], 0, 2, 2, 2));
    }
}
