package dev.nncompress.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nncompress.compress.prune.PruneSensitivity;
import dev.nncompress.compress.quant.calib.SensitivityReport;
import dev.nncompress.io.AtomicFiles;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * {@code nncompress sweep --sensitivity prune|quantize}: a per-layer sensitivity scan with one layer per Spark task
 * ({@link LayerScan}); the merged table printed and written as the single-machine command writes it
 * ({@code RUN_DIR/sensitivity.json}), and one row per layer (per level for pruning) as Parquet and JSON.
 */
public final class SensitivitySweep {
    static final String TABLE = "sensitivity.json";
    static final String PARQUET = "sensitivity.parquet";
    static final String ROWS = "sensitivity-rows.json";

    /** What to scan: the kind, the model, the user's options for the core command, and the shared run directory. */
    public record Spec(LayerScan.Kind kind, String model, List<String> options, Path runDir, int threadsPerTask) {}

    private SensitivitySweep() {}

    /** Every layer as one task (one partition each); the results in layer order, failed layers included. */
    public static List<LayerScan.Result> run(SparkSession spark, Spec spec, List<String> layers) {
        LayerScan.Kind kind = spec.kind();
        String model = spec.model();
        List<String> options = List.copyOf(spec.options());
        String dir = spec.runDir().toAbsolutePath().toString(); // a Path is not Serializable
        int threads = spec.threadsPerTask();
        List<Integer> indexes = IntStream.range(0, layers.size()).boxed().toList();
        List<String> names = List.copyOf(layers);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<LayerScan.Result> rows = new ArrayList<>(jsc.parallelize(indexes, Math.max(1, indexes.size()))
                .map(i -> LayerScan.run(kind, model, options, i, names.get(i), Path.of(dir), threads))
                .collect());
        rows.sort(Comparator.comparingInt(LayerScan.Result::index));
        return rows;
    }

    /**
     * Writes the merged table ({@code sensitivity.json}, null when no layer ran) and the rows as Parquet and JSON; prints
     * the table as the single-machine command does. Returns the merged table.
     */
    public static ObjectNode write(SparkSession spark, Spec spec, List<LayerScan.Result> results, PrintWriter o) {
        try {
            ObjectNode table = LayerScan.json(spec.kind(), results);
            List<Row> rows = new ArrayList<>();
            StructType schema;
            if (spec.kind() == LayerScan.Kind.prune) {
                schema = pruneSchema();
                PruneSensitivity p = LayerScan.prune(results);
                if (p != null) {
                    p.lines().forEach(l -> o.println("  " + l));
                    for (PruneSensitivity.Row r : p.rows()) {
                        for (int i = 0; i < p.levels().size(); i++) {
                            rows.add(RowFactory.create(r.layer(), PointResult.OK, null, r.weights(), p.levels().get(i), r.accuracy().get(i)));
                        }
                    }
                }
            } else {
                schema = quantizeSchema();
                SensitivityReport q = LayerScan.quantize(results);
                if (q != null) {
                    q.lines().forEach(o::println);
                    q.layers().forEach(l -> rows.add(RowFactory.create(l.node(), PointResult.OK, null, l.op(), l.quantised(),
                            Double.isFinite(l.sqnrDb()) ? l.sqnrDb() : null, l.logitsMse())));
                }
            }
            for (LayerScan.Result r : results) {
                if (!r.ok()) rows.add(RowFactory.create(failedRow(schema, r)));
            }
            var df = spark.createDataFrame(rows, schema).coalesce(1);
            df.write().mode(SaveMode.Overwrite).parquet(spec.runDir().resolve(PARQUET).toAbsolutePath().toString());
            df.write().mode(SaveMode.Overwrite).json(spec.runDir().resolve(ROWS).toAbsolutePath().toString());
            if (table != null) {
                AtomicFiles.write(spec.runDir().resolve(TABLE), new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(table));
            }
            return table;
        } catch (IOException e) {
            throw new UncheckedIOException(spec.runDir() + ": " + e.getMessage(), e);
        }
    }

    /** A failed layer's row: its name, status and error, the rest null. */
    private static Object[] failedRow(StructType schema, LayerScan.Result r) {
        Object[] v = new Object[schema.fields().length];
        v[0] = r.layer();
        v[1] = PointResult.FAILED;
        v[2] = r.error();
        return v;
    }

    static StructType pruneSchema() {
        return new StructType().add("layer", DataTypes.StringType, false).add("status", DataTypes.StringType, false).add("error", DataTypes.StringType, true)
                .add("weights", DataTypes.LongType, true).add("level", DataTypes.DoubleType, true).add("accuracy", DataTypes.DoubleType, true);
    }

    static StructType quantizeSchema() {
        return new StructType().add("layer", DataTypes.StringType, false).add("status", DataTypes.StringType, false).add("error", DataTypes.StringType, true)
                .add("op", DataTypes.StringType, true).add("quantised", DataTypes.StringType, true).add("sqnr_db", DataTypes.DoubleType, true)
                .add("logits_mse", DataTypes.DoubleType, true);
    }
}
