module github.com/msgread/msgread

go 1.26.8

require github.com/tencentyun/tls-sig-api-v2-golang v1.4.0

require github.com/stretchr/testify v1.11.1 // indirect
