"""The service: the daemon loop, its log watcher, metrics, systemd notification and memory trim."""
