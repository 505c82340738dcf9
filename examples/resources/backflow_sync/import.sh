# Import by id or by name.
terraform import backflow_sync.users 1
terraform import backflow_sync.users "Active users to webhook"
