package dev.hearth.engine.cuda;

/// A CUDA driver call that failed, named with its size argument (where it has one) and the CUDA error:
/// `cuMemAlloc(512 MiB): CUDA_ERROR_OUT_OF_MEMORY (out of memory)`.
///
/// Unchecked, because every call into the driver can fail and a caller can rarely do more than one thing about
/// most of them (give up on the GPU). The one failure worth handling is {@link #isOutOfMemory()}: the trainer
/// retries the round at a smaller micro-batch, then falls back to the CPU.
public class CudaException extends RuntimeException {

    private final String call;
    private final int code;
    private final String errorName;

    /// @param call        the driver function, as CUDA's documentation names it (`cuMemAlloc`, without `_v2`)
    /// @param argument    what the call was asked to do, in words (`512 MiB`), or empty
    /// @param code        the `CUresult`
    /// @param errorName   `cuGetErrorName`'s answer (`CUDA_ERROR_OUT_OF_MEMORY`)
    /// @param description `cuGetErrorString`'s answer or more detail (a JIT log), or empty
    public CudaException(String call, String argument, int code, String errorName, String description) {
        super(message(call, argument, errorName, description));
        this.call = call;
        this.code = code;
        this.errorName = errorName;
    }

    private static String message(String call, String argument, String errorName, String description) {
        StringBuilder s = new StringBuilder(call);
        if (!argument.isEmpty()) {
            s.append('(').append(argument).append(')');
        }
        s.append(": ").append(errorName);
        if (!description.isEmpty()) {
            s.append(" (").append(description).append(')');
        }
        return s.toString();
    }

    /// The driver function that failed (`cuMemAlloc`).
    public String call() {
        return call;
    }

    /// The `CUresult` it returned.
    public int code() {
        return code;
    }

    /// The CUDA name of that result (`CUDA_ERROR_OUT_OF_MEMORY`).
    public String errorName() {
        return errorName;
    }

    /// True for `CUDA_ERROR_OUT_OF_MEMORY`: the card has too little free memory for what was asked.
    public boolean isOutOfMemory() {
        return code == CudaLibrary.CUDA_ERROR_OUT_OF_MEMORY;
    }
}
