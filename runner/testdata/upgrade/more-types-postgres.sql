CREATE TABLE t AS SELECT i AS id, (i * 1.0 / 7)::numeric(40,20) AS n, (i / 7.0)::float8 AS f8, (i / 7.0)::float4 AS f4,
  CASE WHEN i = 1 THEN 'NaN'::float8 WHEN i = 2 THEN 'Infinity'::float8 ELSE i END AS fspecial,
  CASE WHEN i = 3 THEN 'infinity'::timestamptz ELSE '2024-03-10 01:02:03.456789+00'::timestamptz + i * interval '1 hour' END AS tz,
  '2024-03-10 01:02:03'::timestamp AS ts, '0044-03-15 BC'::date AS bc, 'x  '::char(5) AS ch, ('{"a": [1, 2.50, "ü"], "b": null, "c": ' || i || '}')::json AS js,
  ('{"a": [1, 2.50, "ü"], "c": ' || i || '}')::jsonb AS jb, ARRAY[i, i + 1]::int8[] AS ai, ARRAY['a', NULL, 'c"d']::text[] AS at,
  ARRAY['2024-01-01 00:00:00+00'::timestamptz] AS atz, '\xdeadbeef'::bytea AS by, (i || ' mons 2 days 03:04:05.5')::interval AS iv,
  '12:34:56.5+02'::timetz AS ttz, '12:00'::time AS t, tstzrange('2024-01-01 00:00:00+00', '2024-02-01 00:00:00+00') AS rng, '192.168.0.1/24'::inet AS ip,
  '08:00:2b:01:02:03'::macaddr AS mac, B'1010' AS bits, 'a b'::tsvector AS tsv, point(1, 2) AS pt,
  (i % 2 = 0) AS bo, i::int2 AS i2, (i * 1000000000000)::int8 AS i8,
  ('00000000-0000-0000-0000-0000000000' || lpad(i::text, 2, '0'))::uuid AS u, 'emoji 😀 é'::text AS tx
FROM generate_series(1, 12) i;
