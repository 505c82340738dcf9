# Import by id or by name.
terraform import backflow_notification.failures 1
terraform import backflow_notification.failures "Sync failures"
