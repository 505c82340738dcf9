data "backflow_model" "active_users" {
  name = "active users"
}

output "active_users_model_columns" {
  value = data.backflow_model.active_users.columns
}
