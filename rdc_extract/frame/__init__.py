"""Plain-data model of a captured frame (draws, passes, targets) and the pure logic over it."""
