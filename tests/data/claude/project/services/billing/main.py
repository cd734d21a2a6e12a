print("not memory")
