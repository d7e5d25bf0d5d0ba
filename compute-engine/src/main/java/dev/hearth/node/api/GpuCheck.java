package dev.hearth.node.api;

/// The first-start GPU check, in plain words.
///
/// @param model             e.g. "NVIDIA GeForce RTX 3060", or "no NVIDIA GPU found"
/// @param vramBytes         0 when there is no GPU
/// @param computeCapability e.g. "8.6", empty when unknown
/// @param driver            driver version, empty when unknown
/// @param usable            true when Hearth's GPU engine can run on it
/// @param verdict           one or two sentences: whether it helps, and if not why and what runs instead
public record GpuCheck(String model, long vramBytes, String computeCapability, String driver,
                       boolean usable, String verdict) {}
