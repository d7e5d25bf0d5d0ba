// Kernels for CudaDeviceTest (the driver binding's GPU test), not for training.
// Regenerate the PTX beside it with Debian's CUDA 11.8 nvcc (PTX ISA 7.8, loads on driver R520+):
//   /usr/bin/nvcc -ptx -arch=compute_75 -o driver_test_kernels.ptx driver_test_kernels.cu

// y[i] = a * x[i] + y[i] for i < n: one float, two pointers and an int, in that order.
extern "C" __global__ void saxpy(float a, const float* x, float* y, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
        y[i] = a * x[i] + y[i];
    }
}

// out[i] = i + offset (a 64-bit argument), using dynamic shared memory so a launch can ask for it.
extern "C" __global__ void iota_shared(long long offset, long long* out, int n) {
    extern __shared__ long long tile[];
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    tile[threadIdx.x] = (long long) i + offset;
    __syncthreads();
    if (i < n) {
        out[i] = tile[threadIdx.x];
    }
}
