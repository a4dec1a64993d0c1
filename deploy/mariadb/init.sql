-- First start of an empty MariaDB data directory (docker-compose.yml mounts this file into
-- /docker-entrypoint-initdb.d; deploy/k8s/mariadb.yaml carries a copy in a ConfigMap).
-- The same databases `cargo xtask up` creates (xtask/src/infra.rs, DATABASES); each service
-- creates its own tables at start-up.
CREATE DATABASE IF NOT EXISTS chat_account CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS chat_message CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- The image's entrypoint has already created MARIADB_USER (`chat`) when this file runs; it gets
-- both schemas and nothing else. A different MARIADB_USER must be renamed here too.
GRANT ALL PRIVILEGES ON chat_account.* TO 'chat'@'%';
GRANT ALL PRIVILEGES ON chat_message.* TO 'chat'@'%';
