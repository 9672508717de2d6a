package dev.nncompress.cli;

import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.io.ModelFormatException;
import dev.nncompress.io.ModelIO;
import dev.nncompress.models.Models;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A model file's heap copy is let go once the model goes to the command's backend; a later use reads the file again, checked. */
class ModelSourceTest {
    @TempDir Path tmp;

    @Test
    void heapCopyIsLetGoOnceTheModelIsOnItsBackendAndTheFileIsReadAgainIfAsked() throws Exception {
        Path file = tmp.resolve("student.safetensors");
        ModelIO.save(Models.student(new ReferenceBackend(), 3), file, Map.of());
        ModelSource.Read read = ModelSource.read(file.toString(), 0);
        ModelSource onHeap = read.inspect();
        assertSame(onHeap, read.inspect(), "before the model goes anywhere, the heap copy is kept");
        ReferenceBackend backend = new ReferenceBackend(); // another backend than the heap's: a copy goes there
        ModelSource moved = read.on(backend);
        float[] weights = moved.graph().param("conv1.weight").value().toFloatArray();
        assertArrayEquals(onHeap.graph().param("conv1.weight").value().toFloatArray(), weights);
        ModelSource again = read.inspect();
        assertNotSame(onHeap, again, "the heap copy was let go; asking again reads the file");
        assertArrayEquals(weights, again.graph().param("conv1.weight").value().toFloatArray());
        read.on(backend);
        Files.write(file, new byte[] {1, 2, 3}); // a file that changed after it went to the backend is read with every check
        ModelFormatException e = assertThrows(ModelFormatException.class, read::inspect);
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    }
}
