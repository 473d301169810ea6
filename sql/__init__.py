"""The SQL models: plain .sql files by layer (staging, intermediate, marts, checks)."""
