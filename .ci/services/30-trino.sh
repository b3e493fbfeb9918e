# Sourced by .ci/run: start the Trino 476 sandbox (cached download from Maven Central, sha256-checked),
# load the three shared workloads at the CI scale, and export the URL the Trino tests read.
# Cold cache on 2 cores: ~5 s download, ~10 s unpack, ~30 s start, ~2 min loading.
trino_ci_started=$SECONDS
LAKEOPT_SHARED_DIR=${LAKEOPT_SHARED_DIR:-$ROOT/../shared}
export LAKEOPT_SHARED_DIR
lakeopt sandbox up --timeout 400
for trino_ci_workload in flights questsH tpcds; do
  lakeopt sandbox load "$LAKEOPT_SHARED_DIR/workloads/$trino_ci_workload.json" --scale 0.01 >/dev/null
done
export LAKEOPT_TEST_TRINO_URL="jdbc:trino://127.0.0.1:18080?user=lakeopt"
echo "== trino sandbox ready with the shared workloads in $((SECONDS - trino_ci_started)) s"
unset trino_ci_started trino_ci_workload
