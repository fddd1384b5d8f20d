#!/usr/bin/env python3
"""Deterministic iFood-like benchmark data (original-spec §10.2 orders, §10.3 status events).

    python bench/generate.py --rows 1000000 --out bench-data/orders-1000000-s42

Writes into --out:
  orders.ndjson        one order per line, the original field names and string formats (what
                       the Kafka topic carries): UUID ids, `order_created_at` "2019-..T..:..:..000Z",
                       `items` a *string* holding a JSON array of 1-5 items (money in cents)
  status.ndjson        REGISTERED -> PLACED -> CONCLUDED/CANCELLED per order, ~1/3 of lines
                       duplicated exactly, lines not time-ordered
  orders.parquet       one file, typed columns as the ingest job stores them (timestamps µs UTC,
                       amount double, scheduled boolean) plus fs_year/fs_month/fs_day; written by
                       pyarrow (zstd). The input of the table-write/scan workloads.
  orders-hive/         the same rows as hive-partitioned Parquet by pyarrow
                       (fs_year=2019/fs_month=1/fs_day=17/part-0.parquet), for the peers
  manifest.json        rows, seed, generator version, byte sizes; written last (its presence
                       means the directory is complete)

Same (--rows, --seed, GENERATOR_VERSION) -> byte-identical NDJSON and identical Parquet values,
on any machine: one `random.Random(seed)` drives every choice, rows are produced in order.
~N/20 distinct customers, ~N/100 merchants, timestamps uniform over 2019 (UTC), order totals
right-skewed (lognormal unit prices), ~1 KB per order event.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

GENERATOR_VERSION = 1
CHUNK_ROWS = 50_000
YEAR_START_MS = 1546300800000  # 2019-01-01T00:00:00Z
YEAR_MS = 365 * 86400 * 1000

FIRST_NAMES = ["GUSTAVO", "MARIA", "JOÃO", "ANA", "LUCAS", "JÚLIA", "PEDRO", "BEATRIZ", "RAFAEL",
               "LARISSA", "FELIPE", "CAMILA", "BRUNO", "LETÍCIA", "THIAGO", "FERNANDA", "ANDRÉ"]
CITIES = [("FRANCA", "SP", "144"), ("SAO PAULO", "SP", "015"), ("RIO DE JANEIRO", "RJ", "220"),
          ("BELO HORIZONTE", "MG", "301"), ("CURITIBA", "PR", "800"), ("FORTALEZA", "CE", "600"),
          ("RECIFE", "PE", "500"), ("PORTO ALEGRE", "RS", "900"), ("CAMPINAS", "SP", "130"),
          ("RIBEIRAO PRETO", "SP", "140")]
DISTRICTS = ["JARDIM ESPRAIADO", "CENTRO", "VILA MARIANA", "BOA VIAGEM", "SAVASSI", "MOEMA",
             "PINHEIROS", "ALDEOTA", "BATEL", "MOINHOS DE VENTO", "JARDIM PAULISTA", "TIJUCA"]
TIMEZONES = ["America/Sao_Paulo"] * 8 + ["America/Fortaleza", "America/Recife"]
PLATFORMS = ["ANDROID"] * 6 + ["IOS"] * 3 + ["DESKTOP"]
DISHES = ["PIZZA GRANDE", "X-BURGUER", "AÇAÍ 500ML", "COMBO SUSHI 20 PEÇAS", "PARMEGIANA",
          "POKE DE SALMÃO", "COXINHA", "PASTEL DE CARNE", "REFRIGERANTE LATA", "SALADA CAESAR",
          "ESFIHA DE CARNE", "MARMITEX", "TAPIOCA", "HOT DOG", "PÃO DE QUEIJO (6)"]
NOTES = ["Sem tomate", "Bem passado", "Sem cebola, por favor", "Molho à parte"]
GARNISHES = ["BORDA RECHEADA", "BACON EXTRA", "QUEIJO EXTRA", "MOLHO ESPECIAL"]
ITEM_COUNT_WEIGHTS = [60, 22, 10, 5, 3]  # 1..5 items per order, mean ~1.7
STATUS_DUP_PROB = 0.5                    # ~1/3 of status lines are exact duplicates

ORDER_SCHEMA = pa.schema([
    ("cpf", pa.string()),
    ("customer_id", pa.string()),
    ("customer_name", pa.string()),
    ("delivery_address_city", pa.string()),
    ("delivery_address_country", pa.string()),
    ("delivery_address_district", pa.string()),
    ("delivery_address_external_id", pa.string()),
    ("delivery_address_latitude", pa.string()),
    ("delivery_address_longitude", pa.string()),
    ("delivery_address_state", pa.string()),
    ("delivery_address_zip_code", pa.string()),
    ("items", pa.string()),
    ("merchant_id", pa.string()),
    ("merchant_latitude", pa.string()),
    ("merchant_longitude", pa.string()),
    ("merchant_timezone", pa.string()),
    ("order_created_at", pa.timestamp("us", tz="UTC")),
    ("order_id", pa.string()),
    ("order_scheduled", pa.bool_()),
    ("order_scheduled_date", pa.timestamp("us", tz="UTC")),
    ("order_total_amount", pa.float64()),
    ("origin_platform", pa.string()),
    ("fs_year", pa.int32()),
    ("fs_month", pa.int32()),
    ("fs_day", pa.int32()),
])
PARTITION_COLUMNS = ["fs_year", "fs_month", "fs_day"]


def uuid_from(rng: random.Random) -> str:
    """A version-4-shaped UUID from the seeded generator (uuid.uuid4 would not be reproducible)."""
    h = "%032x" % rng.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def iso_ms(ms: int) -> str:
    """Milliseconds since the epoch as the original's `2019-01-17T22:50:06.000Z`."""
    t = dt.datetime.fromtimestamp(ms // 1000, tz=dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ms % 1000)


def money(cents: int) -> str:
    return '{"value":"%d","currency":"BRL"}' % cents


class Population:
    """The customers (~N/20) and merchants (~N/100) orders are drawn from."""

    def __init__(self, rng: random.Random, rows: int):
        self.customers = []
        for _ in range(max(1, rows // 20)):
            city, state, zip_prefix = rng.choice(CITIES)
            self.customers.append((
                "%011d" % rng.randrange(10**11),
                uuid_from(rng),
                rng.choice(FIRST_NAMES),
                city, "BR", rng.choice(DISTRICTS), str(rng.randrange(1_000_000, 9_999_999)),
                "%.2f" % rng.uniform(-51.0, -35.0), "%.2f" % rng.uniform(-30.0, -3.0),
                state, zip_prefix + "%02d" % rng.randrange(100),
            ))
        self.merchants = []
        for _ in range(max(1, rows // 100)):
            menu = [(rng.choice(DISHES), max(100, int(rng.lognormvariate(7.4, 0.75))),
                     "%032x" % rng.getrandbits(128)) for _ in range(8)]
            self.merchants.append((uuid_from(rng), "%.2f" % rng.uniform(-51.0, -35.0),
                                   "%.2f" % rng.uniform(-30.0, -3.0), rng.choice(TIMEZONES), menu))


def items_json(rng: random.Random, menu) -> tuple[str, int]:
    """The `items` string (a JSON array, money in cents) and the order total in cents."""
    n = rng.choices(range(1, 6), weights=ITEM_COUNT_WEIGHTS)[0]
    parts = []
    total = 0
    for seq in range(1, n + 1):
        name, unit, external_id = rng.choice(menu)
        quantity = rng.choices((1, 2, 3), weights=(80, 15, 5))[0]
        garnish = "[]"
        addition = 0
        if rng.random() < 0.15:
            g_price = rng.choice((200, 300, 500))
            addition = g_price * quantity
            garnish = ('[{"name":"%s","addition":%s,"discount":%s,"quantity":1.0,"sequence":1,'
                       '"unitPrice":%s,"categoryId":"%d","externalId":"","totalValue":%s,'
                       '"categoryName":"ADICIONAIS","integrationId":null}]'
                       % (rng.choice(GARNISHES), money(g_price), money(0), money(g_price),
                          rng.randrange(1000, 9999), money(g_price)))
        value = unit * quantity + addition
        total += value
        note = '"%s"' % rng.choice(NOTES) if rng.random() < 0.1 else "null"
        parts.append(
            '{"name":"%s","addition":%s,"discount":%s,"quantity":%d.0,"sequence":%d,'
            '"unitPrice":%s,"externalId":"%s","totalValue":%s,"customerNote":%s,'
            '"garnishItems":%s,"integrationId":null,"totalAddition":%s,"totalDiscount":%s}'
            % (name, money(0), money(0), quantity, seq, money(unit), external_id, money(value),
               note, garnish, money(addition), money(0)))
    return "[" + ",".join(parts) + "]", total


def generate(rows: int, seed: int, out: str) -> dict:
    rng = random.Random(seed)
    pop = Population(rng, rows)
    os.makedirs(out, exist_ok=True)
    started = time.monotonic()
    batches = []
    status_lines = 0
    with open(os.path.join(out, "orders.ndjson.tmp"), "w", encoding="utf-8") as orders_f, \
         open(os.path.join(out, "status.ndjson.tmp"), "w", encoding="utf-8") as status_f:
        done = 0
        while done < rows:
            n = min(CHUNK_ROWS, rows - done)
            cols = {f.name: [] for f in ORDER_SCHEMA}
            lines = []
            status_chunk = []
            for _ in range(n):
                cust = rng.choice(pop.customers)
                merch = rng.choice(pop.merchants)
                created_ms = YEAR_START_MS + rng.randrange(YEAR_MS)
                order_id = uuid_from(rng)
                items, total_cents = items_json(rng, merch[4])
                scheduled = rng.random() < 0.05
                scheduled_ms = created_ms + rng.randrange(3600_000, 86400_000) if scheduled else None
                platform = rng.choice(PLATFORMS)
                amount = total_cents / 100
                record = {
                    "cpf": cust[0], "customer_id": cust[1], "customer_name": cust[2],
                    "delivery_address_city": cust[3], "delivery_address_country": cust[4],
                    "delivery_address_district": cust[5],
                    "delivery_address_external_id": cust[6],
                    "delivery_address_latitude": cust[7], "delivery_address_longitude": cust[8],
                    "delivery_address_state": cust[9], "delivery_address_zip_code": cust[10],
                    "items": items, "merchant_id": merch[0], "merchant_latitude": merch[1],
                    "merchant_longitude": merch[2], "merchant_timezone": merch[3],
                    "order_created_at": iso_ms(created_ms), "order_id": order_id,
                    "order_scheduled": scheduled,
                    "order_scheduled_date": iso_ms(scheduled_ms) if scheduled else None,
                    "order_total_amount": amount, "origin_platform": platform,
                }
                lines.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
                day = dt.datetime.fromtimestamp(created_ms // 1000, tz=dt.timezone.utc)
                for key in ORDER_SCHEMA.names:
                    if key in record:
                        cols[key].append(record[key])
                cols["order_created_at"][-1] = created_ms * 1000
                cols["order_scheduled_date"][-1] = scheduled_ms * 1000 if scheduled else None
                cols["fs_year"].append(day.year)
                cols["fs_month"].append(day.month)
                cols["fs_day"].append(day.day)
                status_chunk.extend(status_events(rng, order_id, created_ms))
            orders_f.write("\n".join(lines) + "\n")
            rng.shuffle(status_chunk)  # "lines are not time-ordered"
            status_f.write("\n".join(status_chunk) + "\n")
            status_lines += len(status_chunk)
            batches.append(pa.record_batch([pa.array(cols[f.name], type=f.type) for f in ORDER_SCHEMA],
                                           schema=ORDER_SCHEMA))
            done += n
            print(f"generate: {done}/{rows} orders ({time.monotonic() - started:.0f} s)",
                  file=sys.stderr, flush=True)
    os.replace(os.path.join(out, "orders.ndjson.tmp"), os.path.join(out, "orders.ndjson"))
    os.replace(os.path.join(out, "status.ndjson.tmp"), os.path.join(out, "status.ndjson"))

    table = pa.Table.from_batches(batches, schema=ORDER_SCHEMA)
    pq.write_table(table, os.path.join(out, "orders.parquet"), compression="zstd")
    hive = os.path.join(out, "orders-hive")
    ds.write_dataset(
        table, hive, format="parquet",
        partitioning=ds.partitioning(pa.schema([(c, pa.int32()) for c in PARTITION_COLUMNS]),
                                     flavor="hive"),
        basename_template="part-{i}.parquet",
        file_options=ds.ParquetFileFormat().make_write_options(compression="zstd"),
        existing_data_behavior="delete_matching", use_threads=False)

    ndjson_bytes = os.path.getsize(os.path.join(out, "orders.ndjson"))
    manifest = {
        "generator_version": GENERATOR_VERSION, "rows": rows, "seed": seed,
        "customers": len(pop.customers), "merchants": len(pop.merchants),
        "status_lines": status_lines,
        "orders_ndjson_bytes": ndjson_bytes,
        "bytes_per_order_event": round(ndjson_bytes / max(rows, 1), 1),
        "orders_parquet_bytes": os.path.getsize(os.path.join(out, "orders.parquet")),
        "seconds": round(time.monotonic() - started, 1),
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")
    return manifest


def status_events(rng: random.Random, order_id: str, created_ms: int) -> list[str]:
    """One order's lifecycle: REGISTERED, PLACED ~1 s later, CONCLUDED (or ~1% CANCELLED) ~2 h later."""
    placed_ms = created_ms + rng.randrange(500, 2500)
    final_ms = placed_ms + int(rng.gauss(2 * 3600_000, 1200_000))
    final = "CANCELLED" if rng.random() < 0.01 else "CONCLUDED"
    out = []
    for value, ms in (("REGISTERED", created_ms), ("PLACED", placed_ms), (final, max(final_ms, placed_ms))):
        line = '{"created_at":"%s","order_id":"%s","status_id":"%s","value":"%s"}' % (
            iso_ms(ms), order_id, uuid_from(rng), value)
        out.append(line)
        if rng.random() < STATUS_DUP_PROB:
            out.append(line)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="order events (default 1000000)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", required=True, help="output directory")
    args = ap.parse_args()
    if args.rows < 1:
        ap.error("--rows must be at least 1")
    manifest = generate(args.rows, args.seed, args.out)
    print(json.dumps(manifest, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
