-- Backflow control plane, version 23: a connection's sealed secrets are bound to the connection
-- (the AES-GCM additional data holds its id, its kind and an oauth2 block's token_url:
-- connections.go, sealedFor), so sealed bytes moved to another row, or a token_url changed in the
-- control plane, do not open. Nothing is rewritten here (sealing needs the key): values sealed
-- before stay readable until an apply writes them or a rekey reseals them. The version tells
-- binaries of earlier releases, which cannot open the values this release seals, to stop rather
-- than fail every run with "secret could not be decrypted".
COMMENT ON COLUMN backflow.connections.sealed_secrets IS
    'AES-256-GCM (nonce || ciphertext) of the secret settings under BACKFLOW_SECRET_KEY, with additional data naming the connection (id, kind, oauth2 token_url)';
