#!/usr/bin/env python3
"""Deterministic iFood-like benchmark data (original-spec §10.2 orders, §10.3 status events).

    python bench/generate.py --rows 1000000 --out bench-data/orders-1000000-s42

Writes into --out:
  orders.ndjson        one order per line, the original field names and string formats (what
                       the Kafka topic carries): UUID ids, `order_created_at` "2019-..T..:..:..000Z",
                       `items` a *string* holding a JSON array of 1-5 items (money in cents);
                       orders in time order, as a topic would carry them
  status.ndjson        REGISTERED -> PLACED -> CONCLUDED/CANCELLED per order, ~1/3 of lines
                       duplicated exactly, lines not time-ordered (shuffled within a chunk of days)
  orders.parquet       one file, typed columns as the ingest job stores them (timestamps µs UTC,
                       amount double, scheduled boolean) plus fs_year/fs_month/fs_day; written by
                       pyarrow (zstd), one row group per chunk of whole days (<= 128 Ki rows,
                       ~128 MB uncompressed, Spark's default block size). The input of the
                       table-write/scan workloads.
  orders-hive/         the same rows as hive-partitioned Parquet by pyarrow
                       (fs_year=2019/fs_month=1/fs_day=17/part-0.parquet), one file with one row
                       group per day (what Spark or pyarrow's write_dataset write for a daily
                       partition of this size), for the peers
  manifest.json        rows, seed, generator version, byte sizes; written last (its presence
                       means the directory is complete)

--tables-only writes orders.parquet, orders-hive/ and the manifest but no NDJSON (the offline
workload's 10M dataset reads only the hive partitions; its NDJSON would be ~17 GB and most of
the generation time). The random stream is drawn exactly as in a full run, so the Parquet values
are the same as a full run's; the manifest says `"tables_only": true`.

Same (--rows, --seed, GENERATOR_VERSION) -> byte-identical NDJSON and identical Parquet values,
on any machine: one `numpy.random.Generator(PCG64(seed))` draws every choice, chunk by chunk in
a fixed order. ~N/20 distinct customers, ~N/100 merchants, timestamps uniform over 2019 (UTC),
order totals right-skewed (lognormal unit prices), ~1.7 KB per order event.

Version 2 draws whole columns with numpy and assembles the JSON text with Arrow's string kernels
(no per-row Python), a chunk of whole days at a time, so memory stays bounded by the chunk
(~0.8 GB peak) and every day partition is complete within one chunk; Parquet is encoded on a
background thread. 1M orders take ~15 s on 2 cores, 10M a few minutes. Version 1 drew row by
row with `random.Random` (~9 min per 1M) and wrote ~68-row row groups into the hive files.
"""

from __future__ import annotations

import argparse
import contextlib
import concurrent.futures
import json
import os
import shutil
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

GENERATOR_VERSION = 2
CHUNK_ROWS = 1 << 17            # target rows per chunk (a run of whole days): ~128 MB row groups
SLICE_ROWS = 1 << 15            # orders whose text is built at once
DAY_MS = 86400 * 1000
YEAR_START_MS = 1546300800000   # 2019-01-01T00:00:00Z
YEAR_DAYS = 365

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
GARNISH_PRICES = [200, 300, 500]
ITEM_COUNT_WEIGHTS = [60, 22, 10, 5, 3]  # 1..5 items per order, mean ~1.7
QUANTITY_WEIGHTS = [80, 15, 5]           # 1..3 of each item
MENU_SIZE = 8                            # dishes per merchant
GARNISH_PROB = 0.15
NOTE_PROB = 0.10
SCHEDULED_PROB = 0.05
CANCELLED_PROB = 0.01
STATUS_DUP_PROB = 0.5                    # ~1/3 of status lines are exact duplicates
STATUS_VALUES = ["REGISTERED", "PLACED", "CONCLUDED", "CANCELLED"]

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
HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)


# --- column-at-a-time text building -------------------------------------------------------------

def concat(*parts) -> pa.Array:
    """Element-wise concatenation of string arrays and constant strings (Arrow kernel, no Python per row)."""
    return pc.binary_join_element_wise(*parts, "")


def fixed_width(chars: np.ndarray) -> pa.Array:
    """A string array from an (n, width) matrix of ASCII bytes, one row per string (zero copy)."""
    n, width = chars.shape
    data = np.ascontiguousarray(chars)
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def put_digits(chars: np.ndarray, col: int, values: np.ndarray, width: int) -> None:
    """Writes `values` zero-padded to `width` decimal digits into columns col..col+width-1."""
    v = values.astype(np.int64)
    for i in range(width - 1, -1, -1):
        chars[:, col + i] = DIGITS[v % 10]
        v = v // 10


def uuids(rng: np.random.Generator, n: int) -> pa.Array:
    """Version-4-shaped UUIDs (8-4-4-4-12 lowercase hex) from the seeded generator."""
    nibbles = rng.integers(0, 16, size=(n, 32), dtype=np.uint8)
    chars = np.empty((n, 36), dtype=np.uint8)
    hexes = HEX[nibbles]
    chars[:, 0:8] = hexes[:, 0:8]
    chars[:, 9:13] = hexes[:, 8:12]
    chars[:, 14] = ord("4")
    chars[:, 15:18] = hexes[:, 13:16]
    chars[:, 19] = np.frombuffer(b"89ab", dtype=np.uint8)[nibbles[:, 16] & 3]
    chars[:, 20:23] = hexes[:, 17:20]
    chars[:, 24:36] = hexes[:, 20:32]
    chars[:, [8, 13, 18, 23]] = ord("-")
    return fixed_width(chars)


def hex_ids(rng: np.random.Generator, n: int) -> pa.Array:
    """32-hex-digit ids (the menu items' externalId)."""
    return fixed_width(HEX[rng.integers(0, 16, size=(n, 32), dtype=np.uint8)])


def decimal_strings(values: np.ndarray, width: int) -> pa.Array:
    """Non-negative integers zero-padded to `width` digits ("%0Nd")."""
    chars = np.empty((len(values), width), dtype=np.uint8)
    put_digits(chars, 0, values, width)
    return fixed_width(chars)


def iso_ms(ms: np.ndarray) -> pa.Array:
    """Milliseconds since the epoch as the original's `2019-01-17T22:50:06.000Z` (UTC)."""
    days = (ms // DAY_MS).astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    year = months.astype(np.int64) // 12 + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    in_day = ms % DAY_MS
    chars = np.empty((len(ms), 24), dtype=np.uint8)
    put_digits(chars, 0, year, 4)
    put_digits(chars, 5, month, 2)
    put_digits(chars, 8, day, 2)
    put_digits(chars, 11, in_day // 3_600_000, 2)
    put_digits(chars, 14, in_day // 60_000 % 60, 2)
    put_digits(chars, 17, in_day // 1000 % 60, 2)
    put_digits(chars, 20, in_day % 1000, 3)
    for col, ch in ((4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":"), (19, "."), (23, "Z")):
        chars[:, col] = ord(ch)
    return fixed_width(chars)


def coordinates(rng: np.random.Generator, n: int, low: float, high: float) -> pa.Array:
    """Uniform coordinates in [low, high) (both negative) as "%.2f" strings, e.g. "-47.39"."""
    hundredths = np.abs(np.rint(rng.uniform(low, high, n) * 100)).astype(np.int64)
    return concat("-", pc.cast(pa.array(hundredths // 100), pa.string()), ".",
                  decimal_strings(hundredths % 100, 2))


# Python's repr of cents/100 (what json.dumps writes for the amount): "12.5", "12.05", "12.0".
FRACTIONS = pa.array(["." + ("%02d" % k).rstrip("0") if k else ".0" for k in range(100)])


def amount_strings(cents: np.ndarray) -> pa.Array:
    return concat(pc.cast(pa.array(cents // 100), pa.string()), FRACTIONS.take(pa.array(cents % 100)))


def vocabulary(values) -> pa.Array:
    return pa.array(list(values), type=pa.string())


def text_bytes(lines: pa.Array) -> memoryview:
    """The concatenated UTF-8 bytes of a freshly built string array (its data buffer)."""
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32, count=len(lines) + 1,
                            offset=lines.offset * 4)
    return memoryview(lines.buffers()[2])[offsets[0]:offsets[-1]]


# --- the population -----------------------------------------------------------------------------

class Population:
    """The customers (~N/20) and merchants (~N/100) orders are drawn from, as columns.

    Per customer it keeps the Parquet columns and the NDJSON text up to `"items":"`; per merchant
    the columns and the NDJSON text from `","merchant_id"` to `"order_created_at":"`; per menu
    entry (merchant × 8) the dish, unit price (cents) and external id.
    """

    def __init__(self, rng: np.random.Generator, rows: int):
        nc = max(1, rows // 20)
        city = pa.array(rng.integers(0, len(CITIES), nc))
        self.customer_columns = {
            "cpf": decimal_strings(rng.integers(0, 10**11, nc), 11),
            "customer_id": uuids(rng, nc),
            "customer_name": vocabulary(FIRST_NAMES).take(pa.array(rng.integers(0, len(FIRST_NAMES), nc))),
            "delivery_address_city": vocabulary(c for c, _, _ in CITIES).take(city),
            "delivery_address_country": pa.array(["BR"] * nc),
            "delivery_address_district": vocabulary(DISTRICTS).take(pa.array(rng.integers(0, len(DISTRICTS), nc))),
            "delivery_address_external_id": pc.cast(pa.array(rng.integers(1_000_000, 9_999_999, nc)), pa.string()),
            "delivery_address_latitude": coordinates(rng, nc, -51.0, -35.0),
            "delivery_address_longitude": coordinates(rng, nc, -30.0, -3.0),
            "delivery_address_state": vocabulary(s for _, s, _ in CITIES).take(city),
            "delivery_address_zip_code": concat(vocabulary(z for _, _, z in CITIES).take(city),
                                                decimal_strings(rng.integers(0, 100, nc), 2)),
        }
        parts = []
        for i, (name, column) in enumerate(self.customer_columns.items()):
            parts += [('{"' if i == 0 else '","') + name + '":"', column]
        self.customer_text = concat(*parts, '","items":"')

        nm = max(1, rows // 100)
        self.merchant_columns = {
            "merchant_id": uuids(rng, nm),
            "merchant_latitude": coordinates(rng, nm, -51.0, -35.0),
            "merchant_longitude": coordinates(rng, nm, -30.0, -3.0),
            "merchant_timezone": vocabulary(TIMEZONES).take(pa.array(rng.integers(0, len(TIMEZONES), nm))),
        }
        parts = []
        for name, column in self.merchant_columns.items():
            parts += ['","' + name + '":"', column]
        self.merchant_text = concat(*parts, '","order_created_at":"')

        entries = nm * MENU_SIZE
        self.menu_dish = rng.integers(0, len(DISHES), entries)
        self.unit_cents = np.maximum(100, rng.lognormal(7.4, 0.75, entries).astype(np.int64))
        self.menu_external_id = hex_ids(rng, entries)

    def customers(self) -> int:
        return len(self.customer_text)

    def merchants(self) -> int:
        return len(self.merchant_text)


def money_text(cents: str) -> str:
    return '{"value":"%s","currency":"BRL"}' % cents


def garnish_texts():
    """Per (garnish, price): the garnish array's text before and after its categoryId."""
    heads, tails = [], []
    for name in GARNISHES:
        for price in GARNISH_PRICES:
            m = money_text(str(price))
            heads.append('[{"name":"%s","addition":%s,"discount":%s,"quantity":1.0,"sequence":1,'
                         '"unitPrice":%s,"categoryId":"' % (name, m, money_text("0"), m))
            tails.append('","externalId":"","totalValue":%s,"categoryName":"ADICIONAIS",'
                         '"integrationId":null}]' % m)
    return heads, tails


GARNISH_HEADS, GARNISH_TAILS = garnish_texts()
QUANTITIES = vocabulary(["", "1.0", "2.0", "3.0"])
SEQUENCES = vocabulary(str(k) for k in range(len(ITEM_COUNT_WEIGHTS) + 1))
STATUS_TEXTS = vocabulary(STATUS_VALUES)
DISH_TEXTS = vocabulary(DISHES)


# --- one chunk of orders ------------------------------------------------------------------------

class Chunk:
    """The orders of a run of whole days: every random draw as columns of numbers first, then
    the text built and written a slice of SLICE_ROWS orders at a time (bounded memory)."""

    def __init__(self, rng: np.random.Generator, pop: Population, day_counts: np.ndarray, first_day: int):
        n = int(day_counts.sum())
        self.n = n
        day = np.repeat(np.arange(first_day, first_day + len(day_counts)), day_counts)
        self.created_ms = np.sort(YEAR_START_MS + day * DAY_MS + rng.integers(0, DAY_MS, n))
        self.customer = rng.integers(0, pop.customers(), n)
        self.merchant = rng.integers(0, pop.merchants(), n)
        self.order_id = uuids(rng, n)
        self.scheduled = rng.random(n) < SCHEDULED_PROB
        self.scheduled_ms = self.created_ms + rng.integers(3600_000, 86400_000, n)
        self.platform = rng.integers(0, len(PLATFORMS), n)
        self.draw_items(rng, pop)
        self.draw_status(rng)
        dates = (self.created_ms // DAY_MS).astype("datetime64[D]")
        months = dates.astype("datetime64[M]")
        self.year = (months.astype(np.int64) // 12 + 1970).astype(np.int32)
        self.month = (months.astype(np.int64) % 12 + 1).astype(np.int32)
        self.day = ((dates - months.astype("datetime64[D]")).astype(np.int64) + 1).astype(np.int32)
        self.items_raw: list[pa.Array] = []

    def draw_items(self, rng: np.random.Generator, pop: Population) -> None:
        """1-5 items per order: menu entry, quantity, garnish, note; their values and the totals."""
        n = self.n
        count = rng.choice(len(ITEM_COUNT_WEIGHTS), n, p=np.array(ITEM_COUNT_WEIGHTS) / 100) + 1
        total_items = int(count.sum())
        self.item_starts = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(count, out=self.item_starts[1:])
        order = np.repeat(np.arange(n), count)
        self.sequence = np.arange(total_items) - self.item_starts[order] + 1
        self.entry = self.merchant[order] * MENU_SIZE + rng.integers(0, MENU_SIZE, total_items)
        self.quantity = rng.choice(3, total_items, p=np.array(QUANTITY_WEIGHTS) / 100) + 1
        has_garnish = rng.random(total_items) < GARNISH_PROB
        garnish = rng.integers(0, len(GARNISHES), total_items) * len(GARNISH_PRICES) \
            + rng.integers(0, len(GARNISH_PRICES), total_items)
        self.category = np.where(has_garnish, rng.integers(1000, 9999, total_items), -1)
        has_note = rng.random(total_items) < NOTE_PROB
        self.note = np.where(has_note, rng.integers(0, len(NOTES), total_items) + 1, 0)
        self.garnish = np.where(has_garnish, garnish + 1, 0)
        self.addition = np.where(has_garnish, np.array(GARNISH_PRICES)[garnish % len(GARNISH_PRICES)] * self.quantity, 0)
        self.value = pop.unit_cents[self.entry] * self.quantity + self.addition
        self.total_cents = np.add.reduceat(self.value, self.item_starts[:-1])

    def draw_status(self, rng: np.random.Generator) -> None:
        """Three lifecycle events per order (REGISTERED, PLACED ~1 s later, CONCLUDED or ~1%
        CANCELLED ~2 h later), each written twice with probability STATUS_DUP_PROB."""
        n = self.n
        placed = self.created_ms + rng.integers(500, 2500, n)
        final = np.maximum(placed + np.trunc(rng.normal(2 * 3600_000, 1200_000, n)).astype(np.int64), placed)
        cancelled = rng.random(n) < CANCELLED_PROB
        self.status_ms = np.stack([self.created_ms, placed, final], axis=1).reshape(-1)
        self.status_value = np.stack([np.zeros(n, np.int64), np.ones(n, np.int64),
                                      np.where(cancelled, 3, 2)], axis=1).reshape(-1)
        self.status_id = uuids(rng, 3 * n)
        self.status_copies = np.where(rng.random(3 * n) < STATUS_DUP_PROB, 2, 1)

    def items_text(self, pop: Population, lo: int, hi: int, escaped: bool) -> pa.Array:
        """The `items` strings of orders lo..<hi: raw JSON (Parquet) or JSON-escaped (NDJSON line)."""
        a, b = int(self.item_starts[lo]), int(self.item_starts[hi])
        e = (lambda text: text.replace('"', '\\"')) if escaped else (lambda text: text)
        entry = self.entry[a:b]
        garnish = pa.array(self.garnish[a:b])
        category = self.category[a:b]
        zero = money_text("0")
        item = concat(e('{"name":"'), DISH_TEXTS.take(pa.array(pop.menu_dish[entry])),
                      e('","addition":' + zero + ',"discount":' + zero + ',"quantity":'),
                      QUANTITIES.take(pa.array(self.quantity[a:b])), e(',"sequence":'),
                      SEQUENCES.take(pa.array(self.sequence[a:b])), e(',"unitPrice":{"value":"'),
                      pc.cast(pa.array(pop.unit_cents[entry]), pa.string()),
                      e('","currency":"BRL"},"externalId":"'), pop.menu_external_id.take(pa.array(entry)),
                      e('","totalValue":{"value":"'), pc.cast(pa.array(self.value[a:b]), pa.string()),
                      e('","currency":"BRL"},"customerNote":'),
                      vocabulary(e(t) for t in ["null"] + ['"%s"' % x for x in NOTES]).take(pa.array(self.note[a:b])),
                      e(',"garnishItems":'),
                      vocabulary(e(t) for t in ["[]"] + GARNISH_HEADS).take(garnish),
                      pc.cast(pa.array(category, mask=category < 0), pa.string()).fill_null(""),
                      vocabulary(e(t) for t in [""] + GARNISH_TAILS).take(garnish),
                      e(',"integrationId":null,"totalAddition":{"value":"'),
                      pc.cast(pa.array(self.addition[a:b]), pa.string()),
                      e('","currency":"BRL"},"totalDiscount":' + money_text("0") + "}"))
        offsets = pa.array((self.item_starts[lo:hi + 1] - a).astype(np.int32))
        return concat("[", pc.binary_join(pa.ListArray.from_arrays(offsets, item), ","), "]")

    def order_lines(self, pop: Population, lo: int, hi: int) -> pa.Array:
        """The NDJSON lines of orders lo..<hi ('\\n' ended), keys in the original's order."""
        scheduled = pa.array(self.scheduled[lo:hi])
        scheduled_iso = pc.if_else(scheduled, iso_ms(self.scheduled_ms[lo:hi]), "")
        quote = pc.if_else(scheduled, '"', "")
        return concat(pop.customer_text.take(pa.array(self.customer[lo:hi])),
                      self.items_text(pop, lo, hi, escaped=True),
                      pop.merchant_text.take(pa.array(self.merchant[lo:hi])), iso_ms(self.created_ms[lo:hi]),
                      '","order_id":"', self.order_id[lo:hi], '","order_scheduled":',
                      pc.if_else(scheduled, "true", "false"), ',"order_scheduled_date":',
                      pc.if_else(scheduled, "", "null"), quote, scheduled_iso, quote,
                      ',"order_total_amount":', amount_strings(self.total_cents[lo:hi]),
                      ',"origin_platform":"', vocabulary(PLATFORMS).take(pa.array(self.platform[lo:hi])), '"}\n')

    def status_lines(self, rng: np.random.Generator, lo: int, hi: int) -> pa.Array:
        """The status lines of orders lo..<hi with their duplicates, shuffled ('\\n' ended)."""
        a, b = 3 * lo, 3 * hi
        order = np.repeat(np.arange(lo, hi), 3)
        lines = concat('{"created_at":"', iso_ms(self.status_ms[a:b]), '","order_id":"',
                       self.order_id.take(pa.array(order)), '","status_id":"', self.status_id[a:b],
                       '","value":"', STATUS_TEXTS.take(pa.array(self.status_value[a:b])), '"}\n')
        picked = np.repeat(np.arange(b - a), self.status_copies[a:b])
        return lines.take(pa.array(picked[rng.permutation(len(picked))]))

    def write_text(self, rng: np.random.Generator, pop: Population, orders_f, status_f) -> int:
        """Writes the NDJSON of every order and status event, slice by slice; keeps the raw
        `items` for the table. Returns the number of status lines. With no files (tables only)
        it draws the status lines' shuffle all the same, so later chunks see the same stream."""
        status = 0
        for lo in range(0, self.n, SLICE_ROWS):
            hi = min(self.n, lo + SLICE_ROWS)
            if orders_f is None:
                count = int(self.status_copies[3 * lo:3 * hi].sum())
                rng.permutation(count)
                status += count
            else:
                orders_f.write(text_bytes(self.order_lines(pop, lo, hi)))
                lines = self.status_lines(rng, lo, hi)
                status_f.write(text_bytes(lines))
                status += len(lines)
            self.items_raw.append(self.items_text(pop, lo, hi, escaped=False))
        return status

    def table(self, pop: Population) -> pa.Table:
        """The typed rows, as the ingest job stores them (after `write_text`)."""
        cust, merch = pa.array(self.customer), pa.array(self.merchant)
        cols = {name: col.take(cust) for name, col in pop.customer_columns.items()}
        cols["items"] = pa.chunked_array(self.items_raw, type=pa.string())
        cols.update({name: col.take(merch) for name, col in pop.merchant_columns.items()})
        ts = pa.timestamp("us", tz="UTC")
        cols["order_created_at"] = pa.array(self.created_ms * 1000, type=pa.int64()).cast(ts)
        cols["order_id"] = self.order_id
        cols["order_scheduled"] = pa.array(self.scheduled)
        cols["order_scheduled_date"] = pa.array(self.scheduled_ms * 1000, type=pa.int64(),
                                                mask=~self.scheduled).cast(ts)
        cols["order_total_amount"] = pa.array(self.total_cents / 100)
        cols["origin_platform"] = vocabulary(PLATFORMS).take(pa.array(self.platform))
        cols["fs_year"], cols["fs_month"], cols["fs_day"] = pa.array(self.year), pa.array(self.month), pa.array(self.day)
        return pa.table([cols[f.name] for f in ORDER_SCHEMA], schema=ORDER_SCHEMA)


def day_chunks(day_counts: np.ndarray):
    """Runs of consecutive days of at most CHUNK_ROWS orders (at least one day each)."""
    first = 0
    while first < len(day_counts):
        last, rows = first + 1, int(day_counts[first])
        while last < len(day_counts) and rows + day_counts[last] <= CHUNK_ROWS:
            rows += int(day_counts[last])
            last += 1
        yield first, day_counts[first:last]
        first = last


def write_days(table: pa.Table, hive: str) -> None:
    """Writes each day of `table` (whole days, in time order) as its hive partition: one file
    with one row group, partition columns in the path only, as pyarrow's `write_dataset` or
    Spark lay out a daily partition."""
    day_key = np.asarray(table["fs_year"]) * 10000 + np.asarray(table["fs_month"]) * 100 + np.asarray(table["fs_day"])
    bounds = np.flatnonzero(np.diff(day_key)) + 1
    data = table.drop_columns(PARTITION_COLUMNS)
    for lo, hi in zip(np.concatenate([[0], bounds]), np.concatenate([bounds, [len(day_key)]])):
        key = int(day_key[lo])
        directory = os.path.join(hive, "fs_year=%d" % (key // 10000), "fs_month=%d" % (key // 100 % 100),
                                 "fs_day=%d" % (key % 100))
        os.makedirs(directory, exist_ok=True)
        part = data.slice(int(lo), int(hi - lo))
        pq.write_table(part, os.path.join(directory, "part-0.parquet"), row_group_size=len(part),
                       compression="zstd")


def generate(rows: int, seed: int, out: str, tables_only: bool = False) -> dict:
    rng = np.random.Generator(np.random.PCG64(seed))
    started = time.monotonic()
    pop = Population(rng, rows)
    day_counts = rng.multinomial(rows, np.full(YEAR_DAYS, 1.0 / YEAR_DAYS))
    os.makedirs(out, exist_ok=True)
    hive = os.path.join(out, "orders-hive")
    shutil.rmtree(hive, ignore_errors=True)
    status_lines = 0
    done = 0
    names = ("orders.parquet",) if tables_only else ("orders.ndjson", "status.ndjson", "orders.parquet")
    paths = {name: os.path.join(out, name) for name in names}
    # Parquet encoding + zstd (pyarrow releases the GIL) of chunk k overlaps the text of chunk
    # k+1 on one background thread; at most one table waits, and files are written in order.
    with (contextlib.nullcontext() if tables_only else open(paths["orders.ndjson"] + ".tmp", "wb")) as orders_f, \
         (contextlib.nullcontext() if tables_only else open(paths["status.ndjson"] + ".tmp", "wb")) as status_f, \
         pq.ParquetWriter(paths["orders.parquet"] + ".tmp", ORDER_SCHEMA, compression="zstd") as parquet, \
         concurrent.futures.ThreadPoolExecutor(max_workers=1) as writer:

        def write_parquet(table: pa.Table) -> None:
            parquet.write_table(table, row_group_size=len(table))
            write_days(table, hive)

        pending = None
        for first_day, counts in day_chunks(day_counts):
            if counts.sum() == 0:
                continue
            chunk = Chunk(rng, pop, counts, first_day)
            status_lines += chunk.write_text(rng, pop, orders_f, status_f)
            table = chunk.table(pop)
            del chunk
            if pending is not None:
                pending.result()
            pending = writer.submit(write_parquet, table)
            del table
            done += int(counts.sum())
            print(f"generate: {done}/{rows} orders ({time.monotonic() - started:.0f} s)",
                  file=sys.stderr, flush=True)
        if pending is not None:
            pending.result()
    for path in paths.values():
        os.replace(path + ".tmp", path)

    manifest = {
        "generator_version": GENERATOR_VERSION, "rows": rows, "seed": seed,
        "customers": pop.customers(), "merchants": pop.merchants(),
        "status_lines": status_lines,
        "orders_parquet_bytes": os.path.getsize(paths["orders.parquet"]),
        "seconds": round(time.monotonic() - started, 1),
    }
    if tables_only:
        manifest["tables_only"] = True
    else:
        ndjson_bytes = os.path.getsize(paths["orders.ndjson"])
        manifest["orders_ndjson_bytes"] = ndjson_bytes
        manifest["bytes_per_order_event"] = round(ndjson_bytes / max(rows, 1), 1)
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")
    return manifest


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="order events (default 1000000)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--tables-only", action="store_true",
                    help="orders.parquet and orders-hive only, no NDJSON (the offline workload's data)")
    args = ap.parse_args()
    if args.rows < 1:
        ap.error("--rows must be at least 1")
    manifest = generate(args.rows, args.seed, args.out, args.tables_only)
    print(json.dumps(manifest, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
