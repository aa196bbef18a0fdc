// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// A consumer that is a contract refusing ETH: settlement must not be blocked by it.
interface IPaymentChannels {
    struct Terms {
        address consumer;
        address provider;
        address signer;
        address token;
        uint32 challengePeriod;
        bytes32 salt;
    }

    function open(Terms calldata terms, uint256 amount) external payable returns (bytes32);
    function startClose(Terms calldata terms) external;
    function withdraw(Terms calldata terms) external;
    function withdrawOwed(address token) external;
}

contract RejectingReceiver {
    bool public accept;

    function setAccept(bool value) external {
        accept = value;
    }

    function open(IPaymentChannels channels, IPaymentChannels.Terms calldata terms) external payable {
        channels.open{value: msg.value}(terms, msg.value);
    }

    function withdrawOwed(IPaymentChannels channels) external {
        channels.withdrawOwed(address(0));
    }

    receive() external payable {
        require(accept, "no thanks");
    }
}
