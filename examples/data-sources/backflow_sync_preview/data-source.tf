# What the next run of a sync would send, computed read-only when Terraform reads it.
data "backflow_sync_preview" "users" {
  sync = backflow_sync.users.id # or its name
}

output "users_next_run" {
  value = {
    new     = data.backflow_sync_preview.users.new
    changed = data.backflow_sync_preview.users.changed
    deleted = data.backflow_sync_preview.users.deleted
    deletes = data.backflow_sync_preview.users.deleted_samples
  }
}
