// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title PaymentChannels
/// @notice Every unidirectional consumer -> provider payment channel lives in this one contract.
/// A channel's immutable terms are not stored: the channel id is the hash of its terms and each call passes
/// them again, which keeps a channel's whole state in one storage slot (cheap open, claim and batch claim).
/// Vouchers are EIP-712 typed data `Voucher(bytes32 channelId,uint256 cumulativeAmount)`; the domain binds the
/// chain id and this contract's address, so a voucher is valid on exactly one channel, contract and chain.
contract PaymentChannels is EIP712, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @notice The immutable terms of a channel. `token` is address(0) for ETH.
    struct Terms {
        address consumer;
        address provider;
        address signer;
        address token;
        uint32 challengePeriod;
        bytes32 salt;
    }

    /// @notice The mutable state of a channel, packed into one slot.
    /// `closesAt` is 0 while open, the end of the challenge period while closing, and FINALIZED once settled.
    struct State {
        uint96 deposit;
        uint96 claimed;
        uint64 closesAt;
    }

    /// @notice One entry of a batch claim.
    struct Claim {
        Terms terms;
        uint256 cumulativeAmount;
        bytes signature;
    }

    bytes32 public constant VOUCHER_TYPEHASH = keccak256("Voucher(bytes32 channelId,uint256 cumulativeAmount)");
    uint64 public constant FINALIZED = type(uint64).max;
    /// Gas forwarded when pushing a settlement payout, so a recipient contract cannot grief the settlement.
    uint256 private constant PUSH_GAS = 100_000;
    /// Half the secp256k1 group order: a signature with a larger s is a malleable copy and is rejected, as
    /// OpenZeppelin's ECDSA does.
    uint256 private constant HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    /// A channel's `State` packed as deposit | claimed << 96 | closesAt << 192, so each call reads and writes
    /// it with one SLOAD and at most one SSTORE.
    mapping(bytes32 channelId => uint256 packedState) private _states;
    /// @notice Settlement payouts that the recipient refused (e.g. a contract without a receive function);
    /// they wait here to be pulled, so one party can never block the other's settlement.
    mapping(address token => mapping(address account => uint256)) public owed;

    event ChannelOpened(
        bytes32 indexed channelId,
        address indexed consumer,
        address indexed provider,
        address signer,
        address token,
        uint32 challengePeriod,
        bytes32 salt,
        uint256 deposit
    );
    event ChannelToppedUp(bytes32 indexed channelId, address indexed payer, uint256 amount, uint256 deposit);
    event ChannelClaimed(bytes32 indexed channelId, uint256 amount, uint256 claimed);
    event ChannelCloseStarted(bytes32 indexed channelId, uint256 closesAt);
    event ChannelSettled(bytes32 indexed channelId, uint256 providerTotal, uint256 consumerRefund);
    event PayoutDeferred(address indexed token, address indexed account, uint256 amount);
    event OwedWithdrawn(address indexed token, address indexed account, uint256 amount);

    error ChannelExists(bytes32 channelId);
    error UnknownChannel(bytes32 channelId);
    error ChannelIsClosing(bytes32 channelId);
    error ChannelNotClosing(bytes32 channelId);
    error ChannelIsSettled(bytes32 channelId);
    error ChallengePeriodActive(bytes32 channelId, uint256 closesAt);
    error ChallengePeriodOver(bytes32 channelId, uint256 closesAt);
    error NotConsumer(address caller);
    error NotProvider(address caller);
    error InvalidTerms();
    error ZeroAmount();
    error WrongValue(uint256 expected, uint256 sent);
    error InvalidVoucherSignature(bytes32 channelId);
    error NothingToClaim(bytes32 channelId, uint256 cumulativeAmount, uint256 claimed);
    error EmptyBatch();
    error TransferFailed(address to, uint256 amount);

    constructor() EIP712("PaymentChannels", "1") {}

    // ---------------------------------------------------------------- views

    /// @notice The id of the channel with these terms: keccak256(abi.encode(terms)).
    function channelId(Terms calldata terms) public pure returns (bytes32) {
        // Every field is read (and so validated: a dirty encoding reverts) and hashed in scratch memory,
        // which keeps batch claims from allocating memory per entry.
        address consumer = terms.consumer;
        address provider = terms.provider;
        address signer = terms.signer;
        address token = terms.token;
        uint32 challengePeriod = terms.challengePeriod;
        bytes32 salt = terms.salt;
        bytes32 id;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, consumer)
            mstore(add(ptr, 0x20), provider)
            mstore(add(ptr, 0x40), signer)
            mstore(add(ptr, 0x60), token)
            mstore(add(ptr, 0x80), challengePeriod)
            mstore(add(ptr, 0xa0), salt)
            id := keccak256(ptr, 0xc0)
        }
        return id;
    }

    /// @notice The state of a channel: all zero if it was never opened.
    function channel(bytes32 id) external view returns (uint256 deposit, uint256 claimed, uint256 closesAt) {
        State memory s = _load(id);
        return (s.deposit, s.claimed, s.closesAt);
    }

    /// @notice The EIP-712 digest a signer signs for a voucher.
    function voucherDigest(bytes32 id, uint256 cumulativeAmount) public view returns (bytes32) {
        bytes32 typeHash = VOUCHER_TYPEHASH;
        bytes32 structHash;
        // keccak256(abi.encode(VOUCHER_TYPEHASH, id, cumulativeAmount)) without allocating memory for it.
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typeHash)
            mstore(add(ptr, 0x20), id)
            mstore(add(ptr, 0x40), cumulativeAmount)
            structHash := keccak256(ptr, 0x60)
        }
        return _hashTypedDataV4(structHash);
    }

    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ---------------------------------------------------------------- consumer

    /// @notice Opens a channel and funds it in one transaction. For ETH send `amount` as value; for a token,
    /// approve this contract for `amount` first.
    function open(Terms calldata terms, uint256 amount) external payable nonReentrant returns (bytes32 id) {
        if (msg.sender != terms.consumer) revert NotConsumer(msg.sender);
        if (terms.provider == address(0) || terms.signer == address(0) || terms.challengePeriod == 0) {
            revert InvalidTerms();
        }
        if (amount == 0) revert ZeroAmount();
        id = channelId(terms);
        // A settled channel keeps its tombstone, so its id (and every voucher ever signed for it) can never be reused.
        if (_states[id] != 0) revert ChannelExists(id);
        _states[id] = amount.toUint96();
        _collect(terms.token, amount);
        emit ChannelOpened(
            id, terms.consumer, terms.provider, terms.signer, terms.token, terms.challengePeriod, terms.salt, amount
        );
    }

    /// @notice Adds funds to an open channel. Anyone may pay; unspent funds go back to the consumer.
    function topUp(Terms calldata terms, uint256 amount) external payable nonReentrant {
        if (amount == 0) revert ZeroAmount();
        bytes32 id = channelId(terms);
        State memory s = _load(id);
        _requireOpen(id, s);
        uint256 deposit = uint256(s.deposit) + amount;
        s.deposit = deposit.toUint96();
        _store(id, s);
        _collect(terms.token, amount);
        emit ChannelToppedUp(id, msg.sender, amount, deposit);
    }

    /// @notice Starts the challenge period; the provider may still claim until it ends. Cannot be restarted.
    function startClose(Terms calldata terms) external {
        if (msg.sender != terms.consumer) revert NotConsumer(msg.sender);
        bytes32 id = channelId(terms);
        State memory s = _load(id);
        _requireOpen(id, s);
        uint64 closesAt = uint64(block.timestamp) + terms.challengePeriod;
        s.closesAt = closesAt;
        _store(id, s);
        emit ChannelCloseStarted(id, closesAt);
    }

    /// @notice After the challenge period, pays the consumer what the provider has not claimed.
    function withdraw(Terms calldata terms) external nonReentrant {
        if (msg.sender != terms.consumer) revert NotConsumer(msg.sender);
        bytes32 id = channelId(terms);
        State memory s = _load(id);
        uint64 closesAt = s.closesAt;
        if (s.deposit == 0) revert UnknownChannel(id);
        if (closesAt == FINALIZED) revert ChannelIsSettled(id);
        if (closesAt == 0) revert ChannelNotClosing(id);
        if (block.timestamp < closesAt) revert ChallengePeriodActive(id, closesAt);
        // Every claim was paid out when it was made: nothing more is due to the provider here.
        _settle(id, terms, s, 0);
    }

    // ---------------------------------------------------------------- provider

    /// @notice Pays the provider the difference between the voucher (capped at the deposit) and what it has
    /// already claimed. The channel stays open.
    function claim(Terms calldata terms, uint256 cumulativeAmount, bytes calldata signature) external nonReentrant {
        if (msg.sender != terms.provider) revert NotProvider(msg.sender);
        _pay(terms.token, msg.sender, _claim(terms, cumulativeAmount, signature));
    }

    /// @notice Claims many channels in one transaction. Every entry must be claimable by the caller, or the
    /// whole batch reverts. Payouts are summed per run of equal tokens and sent once per run.
    function claimBatch(Claim[] calldata claims) external nonReentrant {
        uint256 n = claims.length;
        if (n == 0) revert EmptyBatch();
        address token = claims[0].terms.token;
        uint256 sum;
        for (uint256 i; i < n; ++i) {
            Claim calldata c = claims[i];
            Terms calldata terms = c.terms;
            if (terms.provider != msg.sender) revert NotProvider(msg.sender);
            address entryToken = terms.token;
            if (entryToken != token) {
                _pay(token, msg.sender, sum);
                token = entryToken;
                sum = 0;
            }
            sum += _claim(terms, c.cumulativeAmount, c.signature);
        }
        _pay(token, msg.sender, sum);
    }

    /// @notice Closes at once: claims the voucher if one is given (empty signature for none) and refunds the
    /// rest to the consumer. Allowed while open or closing.
    function closeByProvider(Terms calldata terms, uint256 cumulativeAmount, bytes calldata signature)
        external
        nonReentrant
    {
        if (msg.sender != terms.provider) revert NotProvider(msg.sender);
        bytes32 id = channelId(terms);
        State memory s = _load(id);
        _requireClaimable(id, s);
        uint256 amount;
        if (signature.length != 0) amount = _redeem(id, s, terms.signer, cumulativeAmount, signature);
        _settle(id, terms, s, amount);
    }

    /// @notice Pulls settlement payouts that could not be pushed to the caller.
    function withdrawOwed(address token) external nonReentrant {
        uint256 amount = owed[token][msg.sender];
        if (amount == 0) revert ZeroAmount();
        owed[token][msg.sender] = 0;
        emit OwedWithdrawn(token, msg.sender, amount);
        _pay(token, msg.sender, amount);
    }

    // ---------------------------------------------------------------- internals

    /// Redeems a voucher on a claimable channel and stores it; returns the amount newly due to the provider.
    function _claim(Terms calldata terms, uint256 cumulativeAmount, bytes calldata signature)
        private
        returns (uint256 amount)
    {
        bytes32 id = channelId(terms);
        State memory s = _load(id);
        _requireClaimable(id, s);
        amount = _redeem(id, s, terms.signer, cumulativeAmount, signature);
        _store(id, s);
    }

    /// Checks a voucher and raises `s.claimed` (in memory) to it, capped at the deposit; returns the increase.
    function _redeem(
        bytes32 id,
        State memory s,
        address signer,
        uint256 cumulativeAmount,
        bytes calldata signature
    ) private returns (uint256 amount) {
        address recovered = _recover(voucherDigest(id, cumulativeAmount), signature);
        if (recovered == address(0) || recovered != signer) revert InvalidVoucherSignature(id);
        uint256 deposit = s.deposit;
        uint256 claimedBefore = s.claimed;
        uint256 claimed = cumulativeAmount < deposit ? cumulativeAmount : deposit;
        if (claimed <= claimedBefore) revert NothingToClaim(id, cumulativeAmount, claimedBefore);
        amount = claimed - claimedBefore;
        s.claimed = uint96(claimed); // claimed <= deposit, which fits in uint96
        emit ChannelClaimed(id, amount, claimed);
    }

    /// Finalizes the channel and pays `providerPayout` (the part of the claimed total not paid yet) and the
    /// refund. The state stays behind as a tombstone.
    function _settle(bytes32 id, Terms calldata terms, State memory s, uint256 providerPayout) private {
        uint256 refund = uint256(s.deposit) - s.claimed;
        s.closesAt = FINALIZED;
        _store(id, s);
        emit ChannelSettled(id, s.claimed, refund);
        address token = terms.token;
        _payOrDefer(token, terms.provider, providerPayout);
        _payOrDefer(token, terms.consumer, refund);
    }

    /// The signer of a 65-byte r‖s‖v signature read straight from calldata, or address(0) if there is none.
    /// Accepts exactly what OpenZeppelin's ECDSA accepts: length 65, low s, v of 27 or 28 (the precompile
    /// returns nothing for any other v).
    function _recover(bytes32 digest, bytes calldata signature) private view returns (address signer) {
        if (signature.length != 65) return address(0);
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            r := calldataload(signature.offset)
            s := calldataload(add(signature.offset, 0x20))
            v := byte(0, calldataload(add(signature.offset, 0x40)))
        }
        if (uint256(s) > HALF_N) return address(0);
        // The ecrecover precompile, called without copying anything into allocated memory.
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, digest)
            mstore(add(ptr, 0x20), v)
            mstore(add(ptr, 0x40), r)
            mstore(add(ptr, 0x60), s)
            mstore(0x00, 0)
            if staticcall(gas(), 0x01, ptr, 0x80, 0x00, 0x20) { signer := mload(0x00) }
        }
    }

    function _load(bytes32 id) private view returns (State memory s) {
        uint256 packed = _states[id];
        s.deposit = uint96(packed);
        s.claimed = uint96(packed >> 96);
        s.closesAt = uint64(packed >> 192);
    }

    function _store(bytes32 id, State memory s) private {
        _states[id] = uint256(s.deposit) | (uint256(s.claimed) << 96) | (uint256(s.closesAt) << 192);
    }

    function _requireOpen(bytes32 id, State memory s) private pure {
        if (s.deposit == 0) revert UnknownChannel(id);
        if (s.closesAt == FINALIZED) revert ChannelIsSettled(id);
        if (s.closesAt != 0) revert ChannelIsClosing(id);
    }

    function _requireClaimable(bytes32 id, State memory s) private view {
        if (s.deposit == 0) revert UnknownChannel(id);
        uint64 closesAt = s.closesAt;
        if (closesAt == FINALIZED) revert ChannelIsSettled(id);
        if (closesAt != 0 && block.timestamp >= closesAt) revert ChallengePeriodOver(id, closesAt);
    }

    function _collect(address token, uint256 amount) private {
        if (token == address(0)) {
            if (msg.value != amount) revert WrongValue(amount, msg.value);
        } else {
            if (msg.value != 0) revert WrongValue(0, msg.value);
            IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        }
    }

    function _payOrDefer(address token, address to, uint256 amount) private {
        if (amount == 0) return;
        bool ok = token == address(0) ? _sendEth(to, amount, PUSH_GAS) : IERC20(token).trySafeTransfer(to, amount);
        if (!ok) {
            owed[token][to] += amount;
            emit PayoutDeferred(token, to, amount);
        }
    }

    function _pay(address token, address to, uint256 amount) private {
        if (amount == 0) return;
        if (token == address(0)) {
            if (!_sendEth(to, amount, gasleft())) revert TransferFailed(to, amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }

    /// Sends ETH without copying the recipient's return data, which a recipient could make large to burn our gas.
    function _sendEth(address to, uint256 amount, uint256 gasLimit) private returns (bool ok) {
        assembly ("memory-safe") {
            ok := call(gasLimit, to, amount, 0, 0, 0, 0)
        }
    }
}
