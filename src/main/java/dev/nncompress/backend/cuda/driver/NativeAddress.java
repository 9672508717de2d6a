package dev.nncompress.backend.cuda.driver;

import jcuda.NativePointerObject;
import jcuda.Pointer;

import java.lang.reflect.Method;

/**
 * The raw address behind a JCuda handle ({@code CUdeviceptr}, {@code CUstream}), for handing our device
 * memory and stream to the vendor libraries, which bytedeco's presets reach with addresses of their own
 * pointer type. JCuda keeps the address in a protected getter and a device pointer's byte offset in
 * another; both are read here, and only here, by reflection (everything runs on the class path, where
 * this is allowed). Needs no driver: an unallocated handle is address 0.
 */
public final class NativeAddress {
    private static final Method NATIVE_POINTER = accessible(NativePointerObject.class, "getNativePointer");
    private static final Method BYTE_OFFSET = accessible(Pointer.class, "getByteOffset");

    private NativeAddress() {}

    private static Method accessible(Class<?> type, String name) {
        try {
            Method m = type.getDeclaredMethod(name);
            m.setAccessible(true);
            return m;
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new ExceptionInInitializerError("JCuda changed: " + type.getName() + "." + name + "() is gone (" + e + ")");
        }
    }

    /** The address {@code handle} stands for (plus its byte offset for a device pointer). */
    public static long of(NativePointerObject handle) {
        try {
            long address = (long) NATIVE_POINTER.invoke(handle);
            if (handle instanceof Pointer p) address += (long) BYTE_OFFSET.invoke(p);
            return address;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read the address of " + handle, e);
        }
    }
}
