# Look up a connection declared elsewhere (another workspace, or by hand) by name.
data "backflow_connection" "warehouse" {
  name = "Analytics warehouse"
}

output "warehouse_connection_id" {
  value = data.backflow_connection.warehouse.id
}
