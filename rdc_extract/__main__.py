from rdc_extract.launch import main

main()
