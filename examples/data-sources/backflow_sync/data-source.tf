data "backflow_sync" "users" {
  name = "Active users to webhook"
}

output "users_sync_behavior" {
  value = data.backflow_sync.users.behavior
}
