package dev.nncompress.io.onnx;

import ai.onnxruntime.OrtException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.nncompress.backend.Backend;
import dev.nncompress.backend.cpu.CpuBackend;
import dev.nncompress.graph.Graph;
import dev.nncompress.io.onnx.proto.OnnxProto.ModelProto;
import dev.nncompress.io.onnx.proto.OnnxProto.TensorProto;
import dev.nncompress.compress.prune.structured.FilterCriterion;
import dev.nncompress.compress.prune.structured.StructuredPruner;
import dev.nncompress.models.Models;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 18's checks of the float export: for the built-in models (at opsets 13, 17 and 21) and every ONNX
 * fixture (imported, then exported at opset 17), the file passes {@link OnnxStructure}, ONNX Runtime Java
 * runs it with logits within 1e-4 relative of ours (CPU backend), and importing it again gives our logits.
 */
class OnnxExportTest {
    private static final double TOLERANCE = 1e-4;
    private static Backend cpu;
    @TempDir Path dir;

    @BeforeAll
    static void backend() { cpu = new CpuBackend(); }

    @AfterAll
    static void close() { cpu.close(); }

    static Stream<Arguments> builtIns() {
        return Models.NAMES.stream().flatMap(m -> Stream.of(13, 17, 21).map(o -> Arguments.of(m, o)));
    }

    @ParameterizedTest
    @MethodSource("builtIns")
    void builtInModelRunsInOnnxRuntimeAndImportsBack(String name, int opset) throws OrtException {
        Graph g = Models.byName(name, cpu, 3);
        float[] x = OrtRun.images(g, 4, 11);
        ModelProto m = OnnxExporter.export(g, Map.of(), opset);
        assertAgrees(name + " opset " + opset, g, m, x, 4);
        // parameters keep our names, PyTorch's state-dict names
        Set<String> inits = new HashSet<>(m.getGraph().getInitializerList().stream().map(TensorProto::getName).toList());
        assertTrue(inits.containsAll(g.params().keySet()), name + ": initializer names " + inits);
    }

    static Stream<String> fixtures() { return OnnxFixtures.NAMES.stream(); }

    @ParameterizedTest
    @MethodSource("fixtures")
    void importedFixtureExportsBackToOnnxRuntimesLogits(String name) throws OrtException {
        JsonNode expected = OnnxFixtures.expected(name);
        assumeTrue(!OnnxFixtures.needsDataset(expected) || OnnxFixtures.datasetInstalled(), "Fashion-MNIST not installed");
        OnnxFixtures.Input input = OnnxFixtures.inputs(expected);
        OnnxImporter.Imported imp = OnnxImporter.importFile(OnnxFixtures.file(name), cpu);
        Map<String, String> names = OnnxExporter.onnxNames(imp.provenance());
        ModelProto m = OnnxExporter.export(imp.graph(), names, OnnxExporter.DEFAULT_OPSET);
        assertAgrees(name, imp.graph(), m, input.values(), input.samples());
        // the ONNX names come back: each parameter is written under the name the importer recorded for it
        Set<String> original = new HashSet<>(OnnxFile.read(OnnxFixtures.file(name)).getGraph().getInitializerList().stream().map(TensorProto::getName).toList());
        for (String p : imp.graph().params().keySet()) {
            String kept = names.getOrDefault(p, p);
            assertTrue(isInitializerName(m, kept), name + ": " + p + " should be written as " + kept);
        }
        long keptNames = imp.graph().params().keySet().stream().filter(p -> original.contains(names.getOrDefault(p, p))).count();
        System.out.printf(Locale.ROOT, "%-22s %d of %d parameters under their ONNX initializer names%n", name, keptNames, imp.graph().params().size());
    }

    /** The trained fixtures (in the operator zoo the structured pruner finds no channel group it may remove). */
    static Stream<String> prunableFixtures() { return Stream.concat(OnnxFixtures.FIRST_SLICE.stream(), OnnxFixtures.MODELS.stream()); }

    /** Issue 18: exported models from the import fixtures, structurally pruned (30% of channels, l1), still run in ONNX Runtime as ours. */
    @ParameterizedTest
    @MethodSource("prunableFixtures")
    void structurallyPrunedFixtureExports(String name) throws OrtException {
        JsonNode expected = OnnxFixtures.expected(name);
        assumeTrue(!OnnxFixtures.needsDataset(expected) || OnnxFixtures.datasetInstalled(), "Fashion-MNIST not installed");
        OnnxFixtures.Input input = OnnxFixtures.inputs(expected);
        OnnxImporter.Imported imp = OnnxImporter.importFile(OnnxFixtures.file(name), cpu);
        Graph pruned = StructuredPruner.prune(imp.graph(), 0.3, FilterCriterion.l1()).pruned();
        assertTrue(pruned.parameterCount() < imp.graph().parameterCount(), name + ": nothing pruned");
        ModelProto m = OnnxExporter.export(pruned, OnnxExporter.onnxNames(imp.provenance()), OnnxExporter.DEFAULT_OPSET);
        assertAgrees(name + " pruned", pruned, m, input.values(), input.samples());
    }

    @Test
    void theBatchAxisIsDynamic() throws OrtException {
        Graph g = Models.byName("resnet8", cpu, 5);
        ModelProto m = OnnxExporter.export(g, Map.of(), OnnxExporter.DEFAULT_OPSET);
        assertEquals(OnnxExporter.BATCH_DIM, m.getGraph().getInput(0).getType().getTensorType().getShape().getDim(0).getDimParam());
        for (int n : new int[] {1, 3}) {
            float[] x = OrtRun.images(g, n, 2);
            double err = OnnxFixtures.maxRelativeError(OrtRun.ours(g, cpu, x, n), OrtRun.run(m, x, OrtRun.batchShape(g, n)));
            assertTrue(err <= TOLERANCE, "batch " + n + ": " + err);
        }
    }

    /** Structure, ONNX Runtime within 1e-4 of ours, and import(export) giving our logits; prints the measured errors. */
    private void assertAgrees(String what, Graph g, ModelProto m, float[] x, int n) throws OrtException {
        List<String> problems = OnnxStructure.problems(m);
        assertEquals(List.of(), problems, what + ": structure");
        float[] ours = OrtRun.ours(g, cpu, x, n);
        double vsOrt = OnnxFixtures.maxRelativeError(ours, OrtRun.run(m, x, OrtRun.batchShape(g, n)));
        Path file = dir.resolve("export.onnx");
        OnnxExporter.write(m, file);
        OnnxImporter.Imported back = OnnxImporter.importFile(file, cpu);
        float[] again = OrtRun.ours(back.graph(), cpu, x, n);
        double roundTrip = OnnxFixtures.maxRelativeError(again, OrtRun.rows(ours, n));
        System.out.printf(Locale.ROOT, "%-22s %4d ONNX nodes %9d bytes  max rel error vs ONNX Runtime %.2e, round trip %.2e%n", what,
                m.getGraph().getNodeCount(), m.getSerializedSize(), vsOrt, roundTrip);
        assertTrue(vsOrt <= TOLERANCE, what + ": " + vsOrt + " vs ONNX Runtime");
        // the same graph, the same backend: the same logits bit for bit
        assertArrayEquals(ours, again, 0f, what + ": logits after import(export)");
    }

    private static boolean isInitializerName(ModelProto m, String name) {
        return m.getGraph().getInitializerList().stream().anyMatch(t -> t.getName().equals(name));
    }
}
