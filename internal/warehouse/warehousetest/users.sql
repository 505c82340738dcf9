-- The users fixture: a table public.users shaped like the Census webhook guide's users (11
-- columns, the key unique_id, an email), filled with as many rows as the psql variable `rows`
-- says. The one copy: scripts/demo.sh runs it with `psql -v rows=1000 -f`, and warehousetest
-- (the bench and the warehouse benchmarks) with the count put in place of the variable. One in
-- ten users is a churned user.
CREATE TABLE public.users (
    company        text,
    company_domain text,
    created_at     timestamp,
    unique_id      text PRIMARY KEY, -- the user's email
    first_name     text,
    full_name      text,
    last_name      text,
    role           text,
    type           text,
    user_id        text,
    website        text
);

WITH words AS (
    SELECT
        ARRAY['Alycia','Bernard','Chioma','Dmitri','Elena','Farid','Grace','Hiroshi','Ines','Jamal',
              'Kirsten','Luis','Mei','Nikolai','Olga','Priya','Quentin','Rosa','Sven','Tomasz',
              'Ursula','Viktor','Wanjiru','Xavier','Yara','Zoltan'] AS firsts,
        ARRAY['Adams','Baker','Castillo','Dubois','Eriksen','Fischer','Garcia','Haddad','Ivanova',
              'Johnson','Kowalski','Lindqvist','Moreau','Nakamura','Okafor','Patel','Quinn','Rossi',
              'Schmidt','Tanaka','Urquhart','Varga','Walsh','Yilmaz','Zhang'] AS lasts,
        ARRAY['Walsh and Sons','Stehr Weber','Acme Analytics','Blue Harbor Labs','Cobalt Freight',
              'Delta Orchards','Evergreen Health','Foxglove Studio','Granite Payments',
              'Helix Robotics','Ironwood Legal','Juniper Travel','Kestrel Energy','Lumen Schools',
              'Meridian Foods','Northwind Traders','Orbit Media','Pinecrest Realty'] AS companies,
        ARRAY['.co.uk','.com','.io','.biz','.net','.de'] AS tlds,
        ARRAY['International Mobility Assistant','Account Executive','Data Engineer',
              'Head of Growth','Customer Success Manager','Product Designer','VP Engineering',
              'Marketing Analyst','Operations Lead','Founder','Support Specialist',
              'Solutions Architect'] AS roles
),
people AS (
    SELECT i,
           firsts[1 + (i * 7) % array_length(firsts, 1)] AS first_name,
           lasts[1 + (i * 11) % array_length(lasts, 1)] AS last_name,
           companies[1 + (i * 5) % array_length(companies, 1)] AS company,
           tlds[1 + (i * 3) % array_length(tlds, 1)] AS tld,
           roles[1 + (i * 13) % array_length(roles, 1)] AS role
    FROM words, generate_series(1, :rows) AS i
)
INSERT INTO public.users
SELECT company,
       regexp_replace(lower(company), '[^a-z]', '', 'g') || tld,
       -- spread over about six years, however many users there are
       timestamp '2019-01-01 08:00:00' + (i % 3000) * interval '17 hours 23 minutes 7 seconds',
       lower(first_name) || '.' || lower(last_name) || i || '@' || regexp_replace(lower(company), '[^a-z]', '', 'g') || tld,
       first_name,
       first_name || ' ' || last_name,
       last_name,
       role,
       CASE WHEN i % 10 = 0 THEN 'churned user'
            WHEN i % 3 = 0 THEN 'paid user'
            WHEN i % 7 = 0 THEN 'trial user'
            ELSE 'free user' END,
       upper(md5('user' || i)::uuid::text),
       'http://' || regexp_replace(lower(last_name), '[^a-z]', '', 'g') || 'and' ||
           regexp_replace(lower(company), '[^a-z]', '', 'g') || tld
FROM people;
