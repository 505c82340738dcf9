# Import by id or by name. A name that is all digits and also another one's id is refused as
# ambiguous: say which with id:N or name:TEXT.
terraform import backflow_model.active_users 1
terraform import backflow_model.active_users "active users"
terraform import backflow_model.active_users "name:2024"
