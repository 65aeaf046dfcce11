import BarluaLua

print("barlua")
