"""PostgreSQL benchmark for the closing note: a TPC-H-like database (``generate_series``, seconds to
fill), 17 queries over 6 tables, planned with hypopg what-if costs and by the rules alone, each plan
verified on the same server (x, y, z, mismatches) and the planning times printed side by side.

    python scripts/bench_postgres.py --url 'jdbc:postgresql://127.0.0.1:55432/lakeopt_pgbench?user=..&password=..'
        [--lineitems 4000000] [--repetitions 3] [--json out.json]

The database needs the hypopg extension (``CREATE EXTENSION hypopg``, as a superuser) for the
what-if side; without it both sides are the rules'. The source schema ``tpch`` is filled once
(kept while its row counts match); each plan's schema ``tpch_opt`` is rebuilt by its verification.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jobs.contract.workload import Workload, parse_workload
from jobs.db.connection import connect_writable
from jobs.db.profiler import collect_profile
from jobs.engine import optimize
from jobs.settings import Settings, load_settings
from jobs.sql.jdbc_url import parse_jdbc_url
from jobs.verify.postgres import verify_postgres_sync

TABLES = {
    "region": "r_regionkey int PRIMARY KEY, r_name text NOT NULL",
    "nation": "n_nationkey int PRIMARY KEY, n_name text NOT NULL, n_regionkey int NOT NULL",
    "customer": "c_custkey serial PRIMARY KEY, c_name text NOT NULL, c_nationkey int NOT NULL, "
    "c_mktsegment text NOT NULL, c_acctbal numeric(12, 2) NOT NULL, c_comment text",
    "part": "p_partkey serial PRIMARY KEY, p_name text NOT NULL, p_brand text NOT NULL, p_size int NOT NULL, "
    "p_retailprice numeric(12, 2) NOT NULL, p_comment text",
    "orders": "o_orderkey bigserial PRIMARY KEY, o_custkey int NOT NULL, o_orderstatus char(1) NOT NULL, "
    "o_totalprice numeric(12, 2) NOT NULL, o_orderdate date NOT NULL, o_clerk text NOT NULL, o_comment text",
    "lineitem": "l_orderkey bigint NOT NULL, l_linenumber int NOT NULL, l_partkey int NOT NULL, "
    "l_quantity numeric(12, 2) NOT NULL, l_extendedprice numeric(12, 2) NOT NULL, l_shipdate date NOT NULL, "
    "l_returnflag char(1) NOT NULL, l_comment text, PRIMARY KEY (l_orderkey, l_linenumber)",
}


def fills(lineitems: int) -> dict[str, str]:
    orders, customers, parts = lineitems // 4, lineitems // 40, lineitems // 20
    return {
        "region": "SELECT g, 'region ' || g FROM generate_series(0, 4) g",
        "nation": "SELECT g, 'nation ' || g, g % 5 FROM generate_series(0, 24) g",
        "customer": f"SELECT g, 'Customer#' || g, g % 25, (ARRAY['AUTOMOBILE','BUILDING','FURNITURE','MACHINERY',"
        f"'HOUSEHOLD'])[1 + g % 5], (g % 10000) - 999.99, md5(g::text) FROM generate_series(1, {customers}) g",
        "part": f"SELECT g, 'part ' || md5(g::text), 'Brand#' || (1 + g % 25), 1 + g % 50, 900 + (g % 1000), "
        f"md5((g * 7)::text) FROM generate_series(1, {parts}) g",
        # Orders arrive in date order (as real ones do): o_orderdate follows the key.
        "orders": f"SELECT g, 1 + (g * 7919) % {customers}, (ARRAY['F','O','P'])[1 + g % 3], (g % 50000) * 3.7, "
        f"date '2019-01-01' + (g * 2000 / {orders})::int, 'Clerk#' || (g % 1000), md5(g::text) "
        f"FROM generate_series(1::bigint, {orders}) g",
        "lineitem": f"SELECT 1 + (g - 1) / 4, 1 + (g - 1) % 4, 1 + (g * 31) % {parts}, 1 + g % 50, (g % 90000) * 1.1, "
        f"date '2019-01-02' + ((g - 1) / 4 * 2000 / {orders})::int, (ARRAY['A','N','R'])[1 + g % 3], "
        f"md5(g::text) FROM generate_series(1::bigint, {lineitems}) g",
    }


QUERIES = [
    (200, "SELECT o_orderkey, o_totalprice, o_orderdate FROM tpch.orders WHERE o_custkey = 4242 ORDER BY o_orderkey"),
    (300, "SELECT l_linenumber, l_quantity, l_extendedprice FROM tpch.lineitem WHERE l_orderkey = 123457"),
    (150, "SELECT count(*), sum(l_extendedprice) FROM tpch.lineitem WHERE l_partkey = 777"),
    (100, "SELECT c_name, c_acctbal FROM tpch.customer WHERE c_custkey = 9001"),
    (80, "SELECT p_partkey, p_name FROM tpch.part WHERE p_brand = 'Brand#7' AND p_size = 13 ORDER BY p_partkey"),
    (60, "SELECT count(*) FROM tpch.orders WHERE o_orderdate BETWEEN date '2021-03-01' AND date '2021-03-03'"),
    (60, "SELECT sum(l_quantity) FROM tpch.lineitem WHERE l_shipdate = date '2022-06-15'"),
    (
        60,
        "SELECT l_returnflag, sum(l_quantity), count(*) FROM tpch.lineitem WHERE l_shipdate >= date '2022-06-01' "
        "AND l_shipdate < date '2022-07-01' GROUP BY l_returnflag ORDER BY l_returnflag",
    ),
    (
        50,
        "SELECT o.o_orderkey, sum(l.l_extendedprice) FROM tpch.orders o JOIN tpch.lineitem l "
        "ON l.l_orderkey = o.o_orderkey WHERE o.o_custkey = 31337 GROUP BY o.o_orderkey ORDER BY o.o_orderkey",
    ),
    (
        40,
        "SELECT c.c_name, o.o_orderdate FROM tpch.customer c JOIN tpch.orders o ON o.o_custkey = c.c_custkey "
        "WHERE c.c_custkey = 555 ORDER BY o.o_orderdate, c.c_name",
    ),
    (
        40,
        "SELECT p.p_name, l.l_quantity FROM tpch.part p JOIN tpch.lineitem l ON l.l_partkey = p.p_partkey "
        "WHERE p.p_partkey = 4321 ORDER BY l.l_quantity, p.p_name",
    ),
    (30, "SELECT count(*) FROM tpch.orders WHERE o_clerk = 'Clerk#17' AND o_orderstatus = 'F'"),
    (
        30,
        "SELECT o_orderkey FROM tpch.orders WHERE o_custkey = 8080 AND o_orderdate >= date '2020-01-01' "
        "ORDER BY o_orderkey",
    ),
    (
        20,
        "SELECT n.n_name, count(*) FROM tpch.customer c JOIN tpch.nation n ON n.n_nationkey = c.c_nationkey "
        "WHERE c.c_mktsegment = 'BUILDING' GROUP BY n.n_name ORDER BY n.n_name",
    ),
    (
        10,
        "SELECT l_returnflag, sum(l_quantity), count(*) FROM tpch.lineitem WHERE l_shipdate < date '2019-02-01' "
        "GROUP BY l_returnflag ORDER BY l_returnflag",
    ),
    (
        10,
        "SELECT r.r_name, sum(o.o_totalprice) FROM tpch.orders o JOIN tpch.customer c ON c.c_custkey = o.o_custkey "
        "JOIN tpch.nation n ON n.n_nationkey = c.c_nationkey JOIN tpch.region r ON r.r_regionkey = n.n_regionkey "
        "WHERE o.o_orderdate = date '2023-01-10' GROUP BY r.r_name ORDER BY r.r_name",
    ),
    (5, "SELECT p_brand, count(*) FROM tpch.part GROUP BY p_brand ORDER BY p_brand"),
]


def ensure_data(url: str, settings: Settings, lineitems: int) -> None:
    expected = {"lineitem": lineitems, "orders": lineitems // 4}
    with connect_writable(url, settings, timeout=3600) as connection:
        try:
            counts = {t: int(connection.query(f"SELECT count(*) FROM tpch.{t}").rows[0][0]) for t in expected}
        except Exception:  # no schema yet
            counts = {}
        if counts == expected:
            return
        started = time.perf_counter()
        connection.execute("DROP SCHEMA IF EXISTS tpch CASCADE")
        connection.execute("CREATE SCHEMA tpch")
        for table, columns in TABLES.items():
            connection.execute(f"CREATE TABLE tpch.{table} ({columns})")
            connection.execute(f"INSERT INTO tpch.{table} {fills(lineitems)[table]}")
            connection.execute(f"VACUUM ANALYZE tpch.{table}")
        print(f"filled tpch ({lineitems} line items) in {time.perf_counter() - started:.0f}s", file=sys.stderr)


def workload(url: str) -> Workload:
    return parse_workload(
        {
            "url": url,
            "ddl": [{"statement": f"CREATE TABLE tpch.{t} ({c});"} for t, c in TABLES.items()],
            "queries": [
                {"queryid": f"q{i:02d}", "query": q, "runquantity": n, "executiontime": 1.0}
                for i, (n, q) in enumerate(QUERIES)
            ],
        }
    )


def run(url: str, settings: Settings, label: str, repetitions: int) -> dict[str, Any]:
    work = workload(url)
    started = time.perf_counter()
    profile = collect_profile(url, work, settings)
    plan = optimize(work, profile)
    planning = time.perf_counter() - started
    report = verify_postgres_sync(work, plan.result, url, repetitions=repetitions, settings=settings)
    indexes = [s.statement for s in plan.result.ddl if s.statement.startswith("CREATE INDEX")]
    return {
        "planner": label,
        "what_if_costs": profile.index_costs is not None,
        "planning_seconds": round(planning, 2),
        "indexes": indexes,
        "x": report.x,
        "y": report.y,
        "z": report.z,
        "mismatches": report.mismatches,
        "errors": report.errors,
        "source_bytes": report.source_bytes,
        "new_bytes": report.new_bytes,
        "queries": [(q.queryid, q.before_seconds, q.after_seconds) for q in report.queries],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a writable PostgreSQL database (JDBC URL)")
    parser.add_argument("--lineitems", type=int, default=4_000_000)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    settings = dataclasses.replace(load_settings(), jdbc_statement_timeout=600.0)
    ensure_data(args.url, settings, args.lineitems)
    results = [
        run(args.url, settings, "hypopg what-if", args.repetitions),
        run(args.url, dataclasses.replace(settings, what_if=False), "rules alone", args.repetitions),
    ]
    print(f"database {parse_jdbc_url(args.url).redacted()}, {args.lineitems} line items, {len(QUERIES)} queries")
    print(f"{'planner':<16} {'plan s':>7} {'x':>8} {'y':>6} {'z':>8} {'indexes':>7} {'mismatches':>10}  errors")
    for r in results:
        x, y, z = (f"{v:.2f}" if isinstance(v, float) else "n/a" for v in (r["x"], r["y"], r["z"]))
        counts = " ".join(f"{len(r[k]):>{w}}" for k, w in (("indexes", 7), ("mismatches", 10)))
        print(f"{r['planner']:<16} {r['planning_seconds']:>7} {x:>8} {y:>6} {z:>8} {counts}  {r['errors']}")
    for r in results:
        print(f"{r['planner']}:", *r["indexes"], sep="\n  ")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0 if all(not r["mismatches"] and not r["errors"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
