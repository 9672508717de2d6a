package dev.nncompress.compress.prune.structured;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.Graph;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.Shape;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChannelDependenciesTest {
    private final Backend backend = new ReferenceBackend();

    @Test
    void studentChainsConvReluPoolIntoNextConvAndLinearAfterFlatten() {
        ChannelGroups groups = ChannelDependencies.analyze(Models.student(backend, 0));
        assertEquals(4, groups.groups().size());
        ChannelGroup g0 = groups.get(0), g1 = groups.get(1);
        assertEquals(List.of("conv1"), g0.producers());
        assertEquals(8, g0.channels());
        assertEquals(List.of("conv1", "relu1", "pool1"), g0.values());
        assertEquals(List.of("conv2"), g0.convReaders());
        assertTrue(g0.linearReaders().isEmpty());
        assertEquals(List.of("conv2"), g1.producers());
        assertTrue(g1.convReaders().isEmpty());
        // conv2's 16 channels are pooled to 7x7 and flattened: 49 consecutive fc1 inputs per channel
        assertEquals(List.of(new ChannelGroup.LinearReader("fc1", 49)), g1.linearReaders());
        assertTrue(g0.prunable() && g1.prunable());
        assertFalse(g0.neurons() || g1.neurons());
        // fc1 both reads conv2's channels (above) and produces 64 hidden neurons that fc2 reads one column each
        ChannelGroup hidden = groups.get(2);
        assertEquals(List.of("fc1"), hidden.producers());
        assertTrue(hidden.neurons() && hidden.prunable());
        assertEquals(64, hidden.channels());
        assertEquals(List.of("fc1", "relu3"), hidden.values());
        assertEquals(List.of(new ChannelGroup.LinearReader("fc2", 1)), hidden.linearReaders());
        ChannelGroup logits = groups.get(3);
        assertEquals(List.of("fc2"), logits.producers());
        assertTrue(logits.fixedReason().contains("graph output fc2"), logits.fixedReason());
    }

    @Test
    void resnet8ResidualAddsTieTheirInputsChannels() {
        ChannelGroups groups = ChannelDependencies.analyze(Models.resnet8(backend, 0));
        assertEquals(7, groups.groups().size(), String.join("\n", groups.lines())); // 6 conv groups + the fixed classifier fc
        // layer1's identity shortcut ties the stem to layer1_conv2; layers 2 and 3 tie conv2 to the 1x1 shortcut
        ChannelGroup stem = groups.producedBy("stem_conv");
        assertEquals(List.of("stem_conv", "layer1_conv2"), stem.producers());
        assertEquals(List.of("stem_bn", "layer1_bn2"), stem.batchNorms());
        assertEquals(List.of("layer1_conv1", "layer2_conv1", "layer2_down_conv"), stem.convReaders());
        assertEquals(List.of("layer2_conv2", "layer2_down_conv"), groups.producedBy("layer2_down_conv").producers());
        ChannelGroup last = groups.producedBy("layer3_conv2");
        assertEquals(List.of("layer3_conv2", "layer3_down_conv"), last.producers());
        assertEquals(List.of("layer3_bn2", "layer3_down_bn"), last.batchNorms());
        assertEquals(List.of(new ChannelGroup.LinearReader("fc", 1)), last.linearReaders()); // global pool: 1 feature/ch
        ChannelGroup inner = groups.producedBy("layer2_conv1");
        assertEquals(List.of("layer2_conv1"), inner.producers());
        assertEquals(List.of("layer2_bn1"), inner.batchNorms());
        assertEquals(List.of("layer2_conv2"), inner.convReaders());
        assertEquals(6, groups.prunable().size());
        assertEquals(10, groups.layers().size());
        assertFalse(groups.producedBy("fc").prunable());
    }

    @Test
    void convAtTheGraphOutputIsFixed() {
        GraphBuilder b = new GraphBuilder("fcn", Shape.of(1, 8, 8), backend, 1);
        String x = b.relu("r", b.conv("c1", Graph.INPUT, 4, 3, 1, 1, true));
        Graph g = b.build(b.globalAvgPool("gap", b.conv("c2", x, 10, 1, 1, 0, true)));
        ChannelGroups groups = ChannelDependencies.analyze(g);
        assertNull(groups.producedBy("c1").fixedReason());
        String why = groups.producedBy("c2").fixedReason();
        assertTrue(why != null && why.contains("graph output gap"), why);
    }

    @Test
    void addingTheGraphInputFixesTheGroup() {
        GraphBuilder b = new GraphBuilder("res", Shape.of(3, 8, 8), backend, 1);
        String y = b.addNodes("add", Graph.INPUT, b.conv("c1", Graph.INPUT, 3, 3, 1, 1, true));
        Graph g = b.build(b.linear("fc", b.flatten("flat", b.conv("c2", y, 4, 3, 1, 1, true)), 2));
        ChannelGroups groups = ChannelDependencies.analyze(g);
        ChannelGroup tied = groups.producedBy("c1");
        assertFalse(tied.prunable());
        assertTrue(tied.fixedReason().contains("graph input"), tied.fixedReason());
        assertTrue(groups.producedBy("c2").prunable());
        assertEquals(List.of(new ChannelGroup.LinearReader("fc", 64)), groups.producedBy("c2").linearReaders());
    }

    @Test
    void summaryNamesEveryGroup() {
        List<String> lines = ChannelDependencies.analyze(Models.student(backend, 0)).lines();
        assertEquals("student: 4 channel group(s), 3 prunable", lines.get(0));
        assertEquals("  group 0: 8 ch, conv conv1 -> relu1, pool1; read by conv conv2", lines.get(1));
        assertEquals("  group 1: 16 ch, conv conv2 -> relu2, pool2, flatten; read by linear fc1 (49 features/ch)", lines.get(2));
        assertEquals("  group 2: 64 neurons, linear fc1 -> relu3; read by linear fc2", lines.get(3));
        assertEquals("  group 3: 10 neurons, linear fc2; fixed: reaches the graph output fc2, whose channels are the model's result", lines.get(4));
    }
}
