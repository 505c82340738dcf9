# Import by id or by name. A name that is all digits and also another one's id is refused as
# ambiguous: say which with id:N or name:TEXT.
terraform import backflow_sync.users 1
terraform import backflow_sync.users "Active users to webhook"
terraform import backflow_sync.users "name:2024"
