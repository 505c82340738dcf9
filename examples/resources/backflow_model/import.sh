# Import by id or by name.
terraform import backflow_model.active_users 1
terraform import backflow_model.active_users "active users"
