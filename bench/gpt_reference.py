#!/usr/bin/python3
"""PyTorch twin of Hearth's Java engine (dev.hearth.engine.model.GptCpuBackend), for the speed and
quality benchmark (`./hearth bench engine`, Java main dev.hearth.engine.bench.EngineBenchmark).

Same GPT-2 architecture (learned positions, pre-LayerNorm eps 1e-5, causal attention, tanh-GELU MLP,
untied output head), same flat parameter layout (ParameterLayout.gpt: matrices [in, out], y = x @ W + b),
same AdamW (decay on 2-D tensors only). The Java side writes the initial weights and every batch to a
work directory; this script trains on exactly those bytes and writes result.json.

Run with Debian's interpreter (/usr/bin/python3) and python3-torch + libopenblas0-openmp installed:
without the OpenMP OpenBLAS, Debian's torch falls back to reference BLAS and is ~17x slower.

With --device cuda (`./hearth bench engine --backend cuda`, bench/gpu/check.sh) the same weights and batches
train on the first CUDA device, written the way a PyTorch user would for speed: attention through
F.scaled_dot_product_attention (is_causal, the same scale 1/sqrt(hs)) and the fused AdamW, at --precision
fp32 (TF32 off), tf32 (TF32 matmuls) or bf16 (autocast, fp32 weights and accumulation). result.json then also
holds the peak VRAM (torch.cuda.max_memory_allocated over the training steps) and, given --peak-tflops and the
config's flopsPerToken, the MFU. The CPU path is unchanged.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def layout(cfg):
    """(name, shape) in ParameterLayout.gpt order."""
    C, V, T = cfg["dModel"], cfg["vocab"], cfg["context"]
    out = [("wte", (V, C)), ("wpe", (T, C))]
    for i in range(cfg["layers"]):
        p = f"h.{i}."
        out += [(p + "ln1.w", (C,)), (p + "ln1.b", (C,)),
                (p + "attn.qkv.w", (C, 3 * C)), (p + "attn.qkv.b", (3 * C,)),
                (p + "attn.proj.w", (C, C)), (p + "attn.proj.b", (C,)),
                (p + "ln2.w", (C,)), (p + "ln2.b", (C,)),
                (p + "mlp.fc.w", (C, 4 * C)), (p + "mlp.fc.b", (4 * C,)),
                (p + "mlp.proj.w", (4 * C, C)), (p + "mlp.proj.b", (C,))]
    out += [("lnf.w", (C,)), ("lnf.b", (C,)), ("lm_head.w", (C, V))]
    return out


def unflatten(cfg, flat, device=None):
    params, off = {}, 0
    for name, shape in layout(cfg):
        n = int(np.prod(shape))
        params[name] = torch.tensor(flat[off:off + n].reshape(shape), requires_grad=True, device=device)
        off += n
    assert off == flat.size, f"parameter file has {flat.size} floats, layout needs {off}"
    return params


def forward(cfg, P, idx, targets, sdpa=False):
    """Mean cross-entropy of the batch. sdpa: attention through F.scaled_dot_product_attention (CUDA)."""
    B, T = idx.shape
    C, nh = cfg["dModel"], cfg["heads"]
    hs = C // nh
    x = P["wte"][idx] + P["wpe"][:T]                                   # (B, T, C)
    mask = None if sdpa else torch.tril(torch.ones(T, T, dtype=torch.bool, device=idx.device))
    for i in range(cfg["layers"]):
        p = f"h.{i}."
        h = F.layer_norm(x, (C,), P[p + "ln1.w"], P[p + "ln1.b"], 1e-5)
        qkv = h @ P[p + "attn.qkv.w"] + P[p + "attn.qkv.b"]             # (B, T, 3C)
        q, k, v = qkv.split(C, dim=2)
        q = q.view(B, T, nh, hs).transpose(1, 2)                          # (B, nh, T, hs)
        k = k.view(B, T, nh, hs).transpose(1, 2)
        v = v.view(B, T, nh, hs).transpose(1, 2)
        if sdpa:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)   # (B, nh, T, hs)
        else:
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))       # (B, nh, T, T)
            att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
            y = att @ v                                                   # (B, nh, T, hs)
        y = y.transpose(1, 2).contiguous().view(B, T, C)                  # (B, T, C)
        x = x + y @ P[p + "attn.proj.w"] + P[p + "attn.proj.b"]
        h = F.layer_norm(x, (C,), P[p + "ln2.w"], P[p + "ln2.b"], 1e-5)
        h = F.gelu(h @ P[p + "mlp.fc.w"] + P[p + "mlp.fc.b"], approximate="tanh")
        x = x + h @ P[p + "mlp.proj.w"] + P[p + "mlp.proj.b"]
    x = F.layer_norm(x, (C,), P["lnf.w"], P["lnf.b"], 1e-5)
    logits = x @ P["lm_head.w"]                                           # (B, T, V)
    return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))


def windows(path, count, T):
    raw = np.fromfile(path, dtype=np.uint8)
    assert raw.size == count * (T + 1), f"{path}: {raw.size} bytes, expected {count * (T + 1)}"
    w = torch.from_numpy(raw.reshape(count, T + 1).astype(np.int64))
    return w[:, :-1], w[:, 1:]


def peak_rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


PRECISIONS = ("fp32", "tf32", "bf16")


def cuda_setup(precision, index):
    """CUDA device `index` set up for `precision`, or exit 3 with the reason (no silent CPU fallback)."""
    if not torch.cuda.is_available():
        print(f"gpt_reference.py: --device cuda, but PyTorch sees no CUDA device (torch {torch.__version__}, "
              f"built for CUDA {torch.version.cuda}; is the NVIDIA driver loaded?)", file=sys.stderr)
        sys.exit(3)
    if index >= torch.cuda.device_count():
        print(f"gpt_reference.py: --cuda-index {index}, but PyTorch sees {torch.cuda.device_count()} CUDA devices",
              file=sys.stderr)
        sys.exit(3)
    torch.cuda.set_device(index)
    if precision == "bf16" and not torch.cuda.is_bf16_supported():
        print(f"gpt_reference.py: --precision bf16, but {torch.cuda.get_device_name(index)} has no bf16 support",
              file=sys.stderr)
        sys.exit(3)
    tf32 = precision == "tf32"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    return torch.device("cuda", index)


def main(work, device_name="cpu", precision="fp32", peak_tflops=None, cuda_index=0):
    with open(os.path.join(work, "config.json")) as f:
        cfg = json.load(f)
    cuda = device_name == "cuda"
    device = cuda_setup(precision, cuda_index) if cuda else None
    torch.set_num_threads(cfg["threads"])
    torch.manual_seed(0)
    B, T, steps, warm = cfg["batch"], cfg["context"], cfg["steps"], cfg["warmupSteps"]
    P = unflatten(cfg, np.fromfile(os.path.join(work, "params.f32"), dtype="<f4"), device)
    xs, ys = windows(os.path.join(work, "train.u8"), steps * B, T)
    if cuda:
        xs, ys = xs.to(device), ys.to(device)
    result = {"torch": torch.__version__, "threads": torch.get_num_threads(),
              "blas": "openblas" if "openblas" in torch.__config__.show().lower() else "unknown"}
    if cuda:
        result.update({"device": torch.cuda.get_device_name(device), "cuda": torch.version.cuda,
                       "precision": precision, "computeCapability": "%d.%d" % torch.cuda.get_device_capability(device)})
    else:
        result.update({"device": "cpu", "precision": "fp32"})

    # PyTorch < 2.0 has no fused attention; there the explicit form runs on the GPU too.
    sdpa = cuda and hasattr(F, "scaled_dot_product_attention")
    if cuda:
        result["attention"] = "scaled_dot_product_attention" if sdpa else "explicit"

    def step_loss(x, y):
        if cuda and precision == "bf16":
            with torch.autocast("cuda", dtype=torch.bfloat16):
                return forward(cfg, P, x, y, sdpa=sdpa)
        return forward(cfg, P, x, y, sdpa=sdpa)

    # Gradient check: loss and full gradient at the initial weights on batch 0.
    loss0 = step_loss(xs[:B], ys[:B])
    loss0.backward()
    result["initialLoss"] = loss0.item()
    torch.cat([P[n].grad.reshape(-1) for n, _ in layout(cfg)]).detach().cpu().numpy().astype("<f4").tofile(
        os.path.join(work, "torch_grad0.f32"))
    for t in P.values():
        t.grad = None

    decay = [P[n] for n, s in layout(cfg) if len(s) == 2]
    no_decay = [P[n] for n, s in layout(cfg) if len(s) != 2]
    groups = [{"params": decay, "weight_decay": cfg["weightDecay"]}, {"params": no_decay, "weight_decay": 0.0}]
    adam = dict(lr=cfg["lr"], betas=(cfg["beta1"], cfg["beta2"]), eps=cfg["eps"])
    opt = None
    if cuda:
        try:
            opt = torch.optim.AdamW(groups, fused=True, **adam)  # one kernel per step, as a PyTorch user would
        except (TypeError, RuntimeError):
            pass  # a torch without the fused AdamW: its default (foreach) implementation
    if opt is None:
        opt = torch.optim.AdamW(groups, **adam)
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats(device)  # the peak of the training steps, AdamW's moments included
    losses, step_ms = [], []
    t_start = None
    cpu_start = None
    for s in range(steps):
        if s == warm:
            t_start = time.perf_counter()
            cpu_start = time.process_time()
        t0 = time.perf_counter()
        loss = step_loss(xs[s * B:(s + 1) * B], ys[s * B:(s + 1) * B])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if cuda:
            torch.cuda.synchronize()  # every step timed to its end, not to its launch
        step_ms.append((time.perf_counter() - t0) * 1000)
        losses.append(loss.item())
    elapsed = time.perf_counter() - t_start
    cpu = time.process_time() - cpu_start
    result["tokensPerSecond"] = (steps - warm) * B * T / elapsed
    # tokens per CPU-second (all threads): a measure of work done that a busy machine distorts less than wall time
    result["tokensPerCpuSecond"] = (steps - warm) * B * T / cpu
    result["losses"] = losses
    result["stepMs"] = step_ms
    if cuda:
        result["peakVramMb"] = torch.cuda.max_memory_allocated(device) / 2 ** 20
        result["peakVramReservedMb"] = torch.cuda.max_memory_reserved(device) / 2 ** 20
    if peak_tflops and cfg.get("flopsPerToken"):
        result["peakTflops"] = peak_tflops
        result["mfu"] = result["tokensPerSecond"] * cfg["flopsPerToken"] / (peak_tflops * 1e12)

    nval = cfg["validationWindows"]
    if nval > 0:
        vx, vy = windows(os.path.join(work, "val.u8"), nval, T)
        if cuda:
            vx, vy = vx.to(device), vy.to(device)
        total = 0.0
        with torch.no_grad():
            for i in range(0, nval, B):
                total += step_loss(vx[i:i + B], vy[i:i + B]).item() * len(vx[i:i + B])
        result["validationLoss"] = total / nval
    result["peakRssMb"] = peak_rss_mb()
    with open(os.path.join(work, "result.json"), "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="PyTorch twin of Hearth's engine; WORK_DIR is written by "
                                             "EngineBenchmark (./hearth bench engine).")
    ap.add_argument("work", metavar="WORK_DIR")
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--cuda-index", type=int, default=0, help="cuda only: the device's index (as the driver numbers it)")
    ap.add_argument("--precision", choices=PRECISIONS, default="fp32",
                    help="cuda only: fp32 (TF32 off), tf32 (TF32 matmuls), bf16 (autocast)")
    ap.add_argument("--peak-tflops", type=float, default=None,
                    help="the device's peak at this precision, for the MFU (config.json's flopsPerToken)")
    a = ap.parse_args()
    if a.device == "cpu" and a.precision != "fp32":
        ap.error("--precision " + a.precision + " needs --device cuda (the CPU path is fp32)")
    main(a.work, a.device, a.precision, a.peak_tflops, a.cuda_index)
