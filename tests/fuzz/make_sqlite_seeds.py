#!/usr/bin/env python3
"""Writes the seed corpus of the sqlite harness (corpus/sqlite/, docs/fuzzing.md): one small file per layout
the readers know, with 512-byte pages so each is a few KB. The foreign layouts use the DDL their libraries
write (the same text as tests/tst_layouts_*.cpp); the native store is made by `chronoscope-cli import`
(path given as the first argument) and then re-paged.

  python3 tests/fuzz/make_sqlite_seeds.py build/release/app/chronoscope-cli
"""
import os, sqlite3, subprocess, sys, tempfile, zlib

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'corpus', 'sqlite')

EMMETT = """
CREATE TABLE emt_streams(stream_id TEXT NOT NULL, stream_position BIGINT NOT NULL DEFAULT 0,
  partition TEXT NOT NULL DEFAULT 'global', stream_type TEXT NOT NULL, stream_metadata JSONB NOT NULL,
  is_archived BOOLEAN NOT NULL DEFAULT FALSE, PRIMARY KEY (stream_id, partition, is_archived),
  UNIQUE (stream_id, partition, is_archived));
CREATE TABLE emt_messages(stream_id TEXT NOT NULL, stream_position BIGINT NOT NULL,
  partition TEXT NOT NULL DEFAULT 'global', message_kind CHAR(1) NOT NULL DEFAULT 'E', message_data JSONB NOT NULL,
  message_metadata JSONB NOT NULL, message_schema_version TEXT NOT NULL, message_type TEXT NOT NULL,
  message_id TEXT NOT NULL, is_archived BOOLEAN NOT NULL DEFAULT FALSE, global_position INTEGER PRIMARY KEY,
  created DATETIME DEFAULT CURRENT_TIMESTAMP, UNIQUE (stream_id, stream_position, partition, is_archived));
"""

EVENTSOURCING = """
CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB,
  PRIMARY KEY (originator_id, originator_version));
CREATE TABLE tracking (application_name TEXT, notification_id INTEGER, PRIMARY KEY (application_name)) WITHOUT ROWID;
"""

CQRSES = """
CREATE TABLE events (aggregate_type text NOT NULL, aggregate_id text NOT NULL,
  sequence integer CHECK (sequence >= 0) NOT NULL, event_type text NOT NULL, event_version text NOT NULL,
  payload text NOT NULL, metadata text NOT NULL, PRIMARY KEY (aggregate_type, aggregate_id, sequence)) STRICT;
CREATE TABLE snapshots (aggregate_type text NOT NULL, aggregate_id text NOT NULL,
  last_sequence integer CHECK (last_sequence >= 0) NOT NULL, current_snapshot integer CHECK (current_snapshot >= 0)
  NOT NULL, payload text NOT NULL, PRIMARY KEY (aggregate_type, aggregate_id, last_sequence)) STRICT;
"""

# From tests/tst_layouts_eventsourcing.cpp: a state Python's eventsourcing encrypted (zlib first, AES-256-GCM)
# with the key bytes 0..31, which the harness passes as cipherKey.
PYTHON_STATE = bytes.fromhex(
    "0707070707070707070707074a2046d6e4a9d2b8620a8f9e450f06e077f6bb965e0115c4ca98c32bd40f550eba559dca8cbcc6bd36d152"
    "9e4cc2177d67111e30d3abdb6cfd9381d87e54fbb3591cc11114af51340fcfce732f0a0c12fc6589328459819380965ba01314c9af2871"
    "eb4f98faa2fa5ab8e99bc89e89b341f7d4cbbd5a4fa93cbdbe8173414ba08ffb9399d9397c7e1eb657ddd65da48f")


def fresh(name):
    path = os.path.join(OUT, name)
    if os.path.exists(path):
        os.remove(path)
    db = sqlite3.connect(path)
    db.execute('PRAGMA page_size=512')
    return path, db


def finish(db):
    db.commit()
    db.execute('VACUUM')
    db.close()


def emmett():
    path, db = fresh('emmett.sqlite')
    db.executescript(EMMETT)
    rows = [(1, 'order-1', 1, 'OrderCreated', '{"total":19.99}', '2026-01-05 10:00:00'),
            (2, 'order-1', 2, 'OrderPaid', '{"amount":"19.99","n":1.10}', '2026-01-05 10:05:00.123'),
            (3, 'cart-\u00e9', 1, 'ItemAdded', '{"sku":"x","qty":-205.0}', '2026-01-06T08:00:00Z')]
    for gp, stream, pos, typ, data, created in rows:
        meta = '{"streamName":"%s","messageId":"msg-%d","streamPosition":"%d"}' % (stream, gp, pos)
        db.execute('INSERT INTO emt_messages (stream_id, stream_position, partition, message_kind, message_data, '
                   'message_metadata, message_schema_version, message_type, message_id, is_archived, global_position, '
                   'created) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)',
                   (stream, pos, 'global', 'E', data, meta, str(pos - 1), typ, 'msg-%d' % gp, 0, gp, created))
    db.execute("INSERT INTO emt_streams VALUES ('order-1', 2, 'global', 'order', '{}', 0)")
    finish(db)


def eventsourcing():
    path, db = fresh('eventsourcing.sqlite')
    db.executescript(EVENTSOURCING)
    a, b = '0123456789abcdef0123456789abcdef', 'fedcba9876543210fedcba9876543210'
    ts = '{"_type_":"datetime_iso","_data_":"2026-01-05T10:00:00.123456+00:00"}'
    db.execute('INSERT INTO stored_events VALUES (?,?,?,?)',
               (a, 1, 'shop.domain:Order.Created',
                ('{"originator_topic": "shop.domain:Order", "timestamp": %s, "total": '
                 '{"_type_": "decimal_str", "_data_": "19.99"}}' % ts).encode()))
    db.execute('INSERT INTO stored_events VALUES (?,?,?,?)',
               (b, 1, 'shop.domain:Order.Created',
                zlib.compress(('{"customer_id":{"_type_":"uuid_hex","_data_":"%s"},"timestamp":%s}' % (a, ts)).encode())))
    db.execute('INSERT INTO stored_events VALUES (?,?,?,?)', (a, 2, 'shop.domain:Order.Paid', PYTHON_STATE))
    db.execute("INSERT INTO tracking VALUES ('Upstream', 42)")
    finish(db)


def cqrses():
    path, db = fresh('cqrs-es.sqlite')
    db.executescript(CQRSES)
    for typ, agg, seq, ev, payload in [('Order', 'o-1', 1, 'Created', '{"total":1.10}'),
                                       ('Order', 'o-1', 2, 'Paid', '{"Paid":{"amount":19}}'),
                                       ('Cart', 'c-1', 1, 'Added', '"not an object"')]:
        db.execute('INSERT INTO events VALUES (?,?,?,?,?,?,?)', (typ, agg, seq, ev, '1.0', payload, '{}'))
    db.execute("INSERT INTO snapshots VALUES ('Order', 'o-1', 2, 1, '{}')")
    finish(db)


def native(cli):
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, 'events.ndjson')
        with open(src, 'w') as f:
            f.write('{"stream":"order-1","type":"Created","version":0,"time":"2026-01-05T10:00:00Z","data":{"total":1.10}}\n'
                    '{"stream":"order-1","type":"Paid","version":1,"time":"2026-01-05T10:05:00.123Z","data":{"total":null},'
                    '"metadata":{"correlationId":"c-1"}}\n'
                    '{"stream":"cart-\u00e9","type":"Added","version":3,"data":[1,2]}\n'
                    '{"stream":"bad line"\n')
        store = os.path.join(tmp, 'store.chronoscope')
        subprocess.run([cli, 'import', src, '-o', store], check=True, stdout=subprocess.DEVNULL)
        path, db = fresh('native.chronoscope')
        db.close()
        db = sqlite3.connect(store)
        db.execute('PRAGMA journal_mode=DELETE')
        db.execute('PRAGMA page_size=512')
        db.execute('VACUUM')
        db.execute("VACUUM INTO ?", (path,))
        db.close()


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    emmett()
    eventsourcing()
    cqrses()
    if len(sys.argv) > 1:
        native(sys.argv[1])
    for name in sorted(os.listdir(OUT)):
        print(name, os.path.getsize(os.path.join(OUT, name)))
