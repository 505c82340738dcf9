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

# A sync that runs after others: once every parent has succeeded since its own last run.
resource "backflow_sync" "orders" {
  name           = "Orders to webhook"
  model_id       = backflow_model.orders.id
  destination_id = backflow_connection.hook.id
  behavior       = "append"
  primary_key    = "order_id"
  schedule       = { after = [backflow_sync.users.id] } # instead of every or cron
}
