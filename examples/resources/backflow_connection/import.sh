# Import by id or by name.
terraform import backflow_connection.warehouse 1
terraform import backflow_connection.hook "Webhook Test"
