"""The engine: clock, state reducer, the synchronous core, and the asyncio runner."""
