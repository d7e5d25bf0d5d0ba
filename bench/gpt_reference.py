#!/usr/bin/python3
"""PyTorch twin of Hearth's Java engine (dev.hearth.engine.model.GptCpuBackend), for the speed and
quality benchmark (`./hearth bench engine`, Java main dev.hearth.engine.bench.EngineBenchmark).

Same GPT-2 architecture (learned positions, pre-LayerNorm eps 1e-5, causal attention, tanh-GELU MLP,
untied output head), same flat parameter layout (ParameterLayout.gpt: matrices [in, out], y = x @ W + b),
same AdamW (decay on 2-D tensors only). The Java side writes the initial weights and every batch to a
work directory; this script trains on exactly those bytes and writes result.json.

Run with Debian's interpreter (/usr/bin/python3) and python3-torch + libopenblas0-openmp installed:
without the OpenMP OpenBLAS, Debian's torch falls back to reference BLAS and is ~17x slower.
"""
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


def unflatten(cfg, flat):
    params, off = {}, 0
    for name, shape in layout(cfg):
        n = int(np.prod(shape))
        params[name] = torch.tensor(flat[off:off + n].reshape(shape), requires_grad=True)
        off += n
    assert off == flat.size, f"parameter file has {flat.size} floats, layout needs {off}"
    return params


def forward(cfg, P, idx, targets):
    B, T = idx.shape
    C, nh = cfg["dModel"], cfg["heads"]
    hs = C // nh
    x = P["wte"][idx] + P["wpe"][:T]                                   # (B, T, C)
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for i in range(cfg["layers"]):
        p = f"h.{i}."
        h = F.layer_norm(x, (C,), P[p + "ln1.w"], P[p + "ln1.b"], 1e-5)
        qkv = h @ P[p + "attn.qkv.w"] + P[p + "attn.qkv.b"]             # (B, T, 3C)
        q, k, v = qkv.split(C, dim=2)
        q = q.view(B, T, nh, hs).transpose(1, 2)                          # (B, nh, T, hs)
        k = k.view(B, T, nh, hs).transpose(1, 2)
        v = v.view(B, T, nh, hs).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))           # (B, nh, T, T)
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)          # (B, T, C)
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


def main(work):
    with open(os.path.join(work, "config.json")) as f:
        cfg = json.load(f)
    torch.set_num_threads(cfg["threads"])
    torch.manual_seed(0)
    B, T, steps, warm = cfg["batch"], cfg["context"], cfg["steps"], cfg["warmupSteps"]
    P = unflatten(cfg, np.fromfile(os.path.join(work, "params.f32"), dtype="<f4"))
    xs, ys = windows(os.path.join(work, "train.u8"), steps * B, T)
    result = {"torch": torch.__version__, "threads": torch.get_num_threads(),
              "blas": "openblas" if "openblas" in torch.__config__.show().lower() else "unknown"}

    # Gradient check: loss and full gradient at the initial weights on batch 0.
    loss0 = forward(cfg, P, xs[:B], ys[:B])
    loss0.backward()
    result["initialLoss"] = loss0.item()
    torch.cat([P[n].grad.reshape(-1) for n, _ in layout(cfg)]).detach().numpy().astype("<f4").tofile(
        os.path.join(work, "torch_grad0.f32"))
    for t in P.values():
        t.grad = None

    decay = [P[n] for n, s in layout(cfg) if len(s) == 2]
    no_decay = [P[n] for n, s in layout(cfg) if len(s) != 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg["weightDecay"]},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=cfg["lr"], betas=(cfg["beta1"], cfg["beta2"]), eps=cfg["eps"])
    losses, step_ms = [], []
    t_start = None
    cpu_start = None
    for s in range(steps):
        if s == warm:
            t_start = time.perf_counter()
            cpu_start = time.process_time()
        t0 = time.perf_counter()
        loss = forward(cfg, P, xs[s * B:(s + 1) * B], ys[s * B:(s + 1) * B])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step_ms.append((time.perf_counter() - t0) * 1000)
        losses.append(loss.item())
    elapsed = time.perf_counter() - t_start
    cpu = time.process_time() - cpu_start
    result["tokensPerSecond"] = (steps - warm) * B * T / elapsed
    # tokens per CPU-second (all threads): a measure of work done that a busy machine distorts less than wall time
    result["tokensPerCpuSecond"] = (steps - warm) * B * T / cpu
    result["losses"] = losses
    result["stepMs"] = step_ms

    nval = cfg["validationWindows"]
    if nval > 0:
        vx, vy = windows(os.path.join(work, "val.u8"), nval, T)
        total = 0.0
        with torch.no_grad():
            for i in range(0, nval, B):
                total += forward(cfg, P, vx[i:i + B], vy[i:i + B]).item() * len(vx[i:i + B])
        result["validationLoss"] = total / nval
    result["peakRssMb"] = peak_rss_mb()
    with open(os.path.join(work, "result.json"), "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print("usage: /usr/bin/python3 bench/gpt_reference.py WORK_DIR  (written by EngineBenchmark)")
        sys.exit(2)
    main(sys.argv[1])
