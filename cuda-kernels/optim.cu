// Optimiser steps in place on parameter and state tensors, as PyTorch's torch.optim.SGD / Adam / AdamW.
// CPU twin: ReferenceBackend.sgdUpdate / adamUpdate (RefOptim): each element computed in double
// from the float inputs and rounded when stored. The host computes the step-dependent scalars in
// double (step_size = lr / (1 - beta1^t), bc2_sqrt = sqrt(1 - beta2^t)) exactly as the twin does.
#ifndef NNC_OPTIM_CU
#define NNC_OPTIM_CU

// g = grad + wd*p; v = momentum*v + g; p -= lr * (nesterov ? g + momentum*v : v). has_velocity = 0:
// plain SGD (velocity may be null then).
extern "C" __global__ void nnc_sgd_update(float* __restrict__ p, const float* __restrict__ grad, float* __restrict__ v,
                                          long long n, float lr, float momentum, float wd, int has_velocity,
                                          int nesterov) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        double g = (double) grad[i] + (double) wd * p[i];
        double step = g;
        if (has_velocity) {
            double vi = (double) momentum * v[i] + g;
            v[i] = (float) vi;
            step = nesterov ? g + (double) momentum * vi : vi;
        }
        p[i] = (float) (p[i] - (double) lr * step);
    }
}

// decoupled (AdamW): p *= 1 - lr*wd; else (Adam, L2): g += wd*p. Then m = b1*m + (1-b1)*g,
// v = b2*v + (1-b2)*g^2, p -= step_size * m / (sqrt(v) / bc2_sqrt + eps).
extern "C" __global__ void nnc_adam_update(float* __restrict__ p, const float* __restrict__ grad, float* __restrict__ m,
                                           float* __restrict__ v, long long n, float lr, float beta1, float beta2,
                                           float eps, float wd, int decoupled, double step_size, double bc2_sqrt) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        double pi = p[i];
        double g = grad[i];
        if (wd != 0.f) {
            if (decoupled) pi = pi * (1.0 - (double) lr * wd);
            else g = g + (double) wd * pi;
        }
        double mi = (double) beta1 * m[i] + (1.0 - beta1) * g;
        double vi = (double) beta2 * v[i] + (1.0 - beta2) * g * g;
        m[i] = (float) mi;
        v[i] = (float) vi;
        pi -= step_size * mi / (sqrt(vi) / bc2_sqrt + eps);
        p[i] = (float) pi;
    }
}
#endif  // NNC_OPTIM_CU
