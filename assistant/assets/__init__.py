"""What Reflect runs on that is installed apart from its code: speech models and voices,
where they are found, and the downloader that fetches them."""
