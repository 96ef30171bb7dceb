"""Experiments: one module each, declaring `NAME` and `STEPS` (what runs at which scales) and
returning long-format rows; `registry` lists them, `runner` owns the scale loop and writes the
run folder, `common` is what they share."""
