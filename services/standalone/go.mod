module github.com/guildhall/guildhall/services/standalone

go 1.26.0

require (
	github.com/guildhall/guildhall/pkg v0.0.0
	github.com/guildhall/guildhall/proto v0.0.0
)

replace (
	github.com/guildhall/guildhall/pkg => ../../pkg
	github.com/guildhall/guildhall/proto => ../../proto
)

require (
	github.com/guildhall/guildhall/services/hq v0.0.0
	github.com/guildhall/guildhall/services/membership v0.0.0
)

replace (
	github.com/guildhall/guildhall/services/hq => ../hq
	github.com/guildhall/guildhall/services/membership => ../membership
)
