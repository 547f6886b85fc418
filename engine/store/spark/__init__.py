"""Spark at national scale: the lake layout of the canonical data (`lake`) and the Spark session (`session`).

A refresh with `[store] compute = "spark"` (engine.metrics.on_spark) runs the checked-in Spark SQL of every metric on
a session made here, over the lake that `icsbench lake export` writes from the store (docs/national-scale.md).
"""
