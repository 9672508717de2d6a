#!/usr/bin/env bash
# StandaloneClusterTest's GPU discovery script: two GPUs that are not there, in Spark's resource format, so that the
# Worker has GPUs to hand out and each task reports the address Spark's resource scheduling gave it.
echo '{"name": "gpu", "addresses": ["0", "1"]}'
