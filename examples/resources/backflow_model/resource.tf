# A model over SQL: whatever the query returns is what syncs send.
resource "backflow_model" "active_users" {
  name          = "active users"
  connection_id = backflow_connection.warehouse.id
  sql           = <<-SQL
    select unique_id, first_name, last_name, full_name, company, role, created_at
    from public.users
    where type <> 'churned user'
  SQL
}

# A model over a whole table (or view): webhooks also receive its schema_name and table_name.
resource "backflow_model" "users" {
  name          = "users"
  connection_id = backflow_connection.warehouse.id
  table         = "public.users"
}

# A table with an updated_at column, which a sync can read by cursor (see backflow_sync).
resource "backflow_model" "orders" {
  name          = "orders"
  connection_id = backflow_connection.warehouse.id
  table         = "public.orders"
}

# The columns are discovered from the warehouse when planning.
output "active_users_columns" {
  value = backflow_model.active_users.columns
}
