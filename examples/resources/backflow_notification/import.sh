# Import by id or by name. A name that is all digits and also another one's id is refused as
# ambiguous: say which with id:N or name:TEXT.
terraform import backflow_notification.failures 1
terraform import backflow_notification.failures "Sync failures"
terraform import backflow_notification.failures "name:2024"
