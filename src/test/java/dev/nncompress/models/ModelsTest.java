package dev.nncompress.models;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.tensor.Shape;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelsTest {
    private final Backend backend = new ReferenceBackend();

    @Test
    void parameterCountsMatchTheSpecifiedArchitectures() {
        assertEquals(1_701_130, Models.teacher(backend, 0).parameterCount());
        assertEquals(52_138, Models.student(backend, 0).parameterCount());
        assertEquals(61_706, Models.lenet5(backend, 0).parameterCount());
        Graph r = Models.resnet8(backend, 0);
        // stem 144 + bn 32; layer1 2*2304 + 2*32; layer2 4608 + 9216 + 2*64 + 1x1 512 + 64;
        // layer3 18432 + 36864 + 2*128 + 1x1 2048 + 128; fc 650
        assertEquals(176 + 4672 + 14528 + 57728 + 650, r.parameterCount());
        assertEquals(Shape.of(10), r.inferShapes().get(r.output()));
    }

    @Test
    void teacherShapesFollowTheSpec() {
        Graph t = Models.teacher(backend, 0);
        var shapes = t.inferShapes();
        assertEquals(Shape.of(64, 28, 28), shapes.get("conv2"));
        assertEquals(Shape.of(128, 7, 7), shapes.get("pool2"));
        assertEquals(Shape.of(6272), shapes.get("flatten"));
        assertEquals(Shape.of(10), shapes.get("fc2"));
    }

    @Test
    void initialisationIsPytorchsKaimingUniformBoundAndSeeded() {
        Graph a = Models.student(backend, 1);
        Graph b = Models.student(backend, 1);
        Graph c = Models.student(backend, 2);
        Parameter w = a.param("fc1.weight");
        float bound = (float) (1 / Math.sqrt(784));
        float max = 0;
        for (float v : w.value().toFloatArray()) max = Math.max(max, Math.abs(v));
        assertTrue(max <= bound && max > 0.95f * bound, "max |w| " + max + " vs bound " + bound);
        assertArrayEquals(w.value().toFloatArray(), b.param("fc1.weight").value().toFloatArray());
        assertNotEquals(w.value().toFloatArray()[0], c.param("fc1.weight").value().toFloatArray()[0]);
        for (float v : a.param("conv1.bias").value().toFloatArray()) assertTrue(Math.abs(v) <= 1 / 3f, "conv1 bias bound 1/sqrt(9)");
    }

    @Test
    void resnetBatchNormHasBuffersThatAreNotTrained() {
        Graph r = Models.resnet8(backend, 0);
        assertTrue(!r.param("stem_bn.running_var").trainable());
        assertArrayEquals(new float[16], r.param("stem_bn.running_mean").value().toFloatArray());
        assertTrue(r.trainableParams().stream().noneMatch(p -> p.name().contains("running")));
    }

    @Test
    void unknownModelNameListsTheKnownOnes() {
        var e = assertThrows(IllegalArgumentException.class, () -> Models.byName("vgg", backend, 0));
        assertTrue(e.getMessage().contains("student") && e.getMessage().contains("vgg"), e.getMessage());
    }
}
