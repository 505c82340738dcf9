resource "backflow_sync" "users" {
  name           = "Active users to webhook"
  model_id       = backflow_model.active_users.id
  destination_id = backflow_connection.hook.id

  # update_or_create: new records and records whose mapped values changed since they were
  # last delivered. append: only keys never delivered. mirror: as update_or_create, plus a
  # "deleted" operation for keys that left the model.
  behavior    = "update_or_create"
  primary_key = "unique_id"

  # Omit mappings to send every model column under its own name.
  mappings = [
    { from = "unique_id", to = "email" },
    { from = "first_name", to = "first_name" },
    { from = "last_name", to = "last_name" },
    { constant = "backflow", to = "source" },
  ]

  schedule   = { every = "15m" } # or { cron = "0 * * * *" } (UTC); omit to run only on demand
  batch_size = 100
  paused     = false
}

# Hashed and metadata fields: e-mail addresses as SHA-256 digests for matching, the run's id and
# each record's operation, NULL values left out.
resource "backflow_sync" "audience" {
  name           = "Audience members"
  model_id       = backflow_model.active_users.id
  destination_id = backflow_connection.hook.id
  behavior       = "mirror"
  primary_key    = "unique_id"
  send_nulls     = false
  mappings = [
    { from = "unique_id", to = "external_id" },
    { from = "unique_id", to = "email_sha256", hash = "sha256", normalize = ["trim", "lowercase"] },
    { metadata = "sync_run_id", to = "run_id" },  # never a reason to resend a record
    { metadata = "operation", to = "operation" }, # new, changed or deleted
  ]
}

# A sync that runs after others: once every parent has succeeded since its own last run.
resource "backflow_sync" "orders" {
  name           = "Orders to webhook"
  model_id       = backflow_model.orders.id
  destination_id = backflow_connection.hook.id
  behavior       = "append"
  primary_key    = "order_id"
  schedule       = { after = [backflow_sync.users.id] } # instead of every or cron
}

# Instead of the Census envelope: a REST API's own requests, one per record, with Liquid
# templates (see the Destinations guide, docs/destinations.md).
resource "backflow_sync" "contacts" {
  name           = "Active users to the CRM API"
  model_id       = backflow_model.active_users.id
  destination_id = backflow_connection.hook.id
  behavior       = "mirror"
  primary_key    = "unique_id"

  request = {
    new = {
      method = "POST"
      path   = "/contacts"
      body   = "{\"email\": {{ record.unique_id | json }}, \"name\": {{ record.first_name | json }}}"
    }
    changed = {
      method = "PATCH"
      path   = "/contacts/{{ record.unique_id | url_encode }}"
      body   = "{\"name\": {{ record.first_name | json }}}"
    }
    deleted = { method = "DELETE", path = "/contacts/{{ record.unique_id | url_encode }}" }
    mode    = "record" # or "batch": one request per batch, rendered with `records`
  }
}

# A large table synced often (backflow_model.orders reads a table with an updated_at column):
# each run reads only the rows whose updated_at is at or after the highest value the last
# successful run read, minus 15 minutes for rows committed late (an index on updated_at lets
# the warehouse find them without a scan). Once a day a run reads the whole table, which finds
# the rows that left it: their "deleted" operations.
resource "backflow_sync" "orders_mirror" {
  name           = "Orders mirror"
  model_id       = backflow_model.orders.id
  destination_id = backflow_connection.hook.id
  behavior       = "mirror"
  primary_key    = "order_id"

  cursor          = "updated_at"
  cursor_lookback = "15m" # default 5m
  full_read_every = "24h" # the default

  schedule = { every = "5m" }
}
