export const KERNEL_SCHEMA = "kernel";
