"""The thin Excel layer (xlwings worksheet functions and ribbon). It only converts and calls the engine."""
