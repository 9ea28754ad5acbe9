"""Lab 01, another way: one asyncio task per connection on asyncio streams."""
